// Package watchset keeps the watched addresses in memory for the scanner's
// per-log lookup; it must hold millions of addresses cheaply.
package watchset

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// Set maps watched addresses to their owner. Owners are few, so each entry stores
// a one-byte index into the owner names instead of a string.
type Set struct {
	mu      sync.RWMutex
	entries map[common.Address]uint8
	owners  []string
	ownerID map[string]uint8
}

// New returns an empty set sized for about sizeHint addresses.
func New(sizeHint int) *Set {
	return &Set{entries: make(map[common.Address]uint8, sizeHint), ownerID: map[string]uint8{}}
}

// Add records addr as owned by owner; it reports false when the set already holds
// 255 distinct owners and owner is a new one.
func (s *Set) Add(addr common.Address, owner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.ownerID[owner]
	if !ok {
		if len(s.owners) >= 255 {
			return false
		}
		id = uint8(len(s.owners))
		s.owners = append(s.owners, owner)
		s.ownerID[owner] = id
	}
	s.entries[addr] = id
	return true
}

// Owner returns the owner of addr, if it is watched.
func (s *Set) Owner(addr common.Address) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.entries[addr]
	if !ok {
		return "", false
	}
	return s.owners[id], true
}

// Len is the number of watched addresses.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}
