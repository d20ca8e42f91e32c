package events

import (
	"encoding/json"
	"errors"

	"paysuite/pkg/contract"
)

// ErrNotAnnouncement is returned by ReadAnnouncement for a body that is not
// an address announcement in either form.
var ErrNotAnnouncement = errors.New("not an address announcement")

// Announcement is an address announcement read in either form:
// AddressAllocated (one address, which only topup sends) or AddressList.
type Announcement struct {
	Chain     string
	Owner     string // empty in the one-address form
	Addresses []ListedAddress
}

// ReadAnnouncement reads body as AddressAllocated or AddressList, with at
// least one address and every address valid.
func ReadAnnouncement(body []byte) (Announcement, error) {
	var raw struct {
		Chain     string          `json:"chain"`
		Owner     string          `json:"owner"`
		Address   string          `json:"address"`
		Index     uint32          `json:"index"`
		Addresses []ListedAddress `json:"addresses"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Announcement{}, ErrNotAnnouncement
	}
	a := Announcement{Chain: raw.Chain, Owner: raw.Owner, Addresses: raw.Addresses}
	if raw.Address != "" {
		a.Addresses = append(a.Addresses, ListedAddress{Address: raw.Address, Index: &raw.Index})
	}
	if len(a.Addresses) == 0 {
		return Announcement{}, errors.New("address announcement without an address")
	}
	for _, e := range a.Addresses {
		if !contract.ValidAddress(e.Address) {
			return Announcement{}, ErrNotAnnouncement
		}
	}
	return a, nil
}

// DepositAddresses are the addresses of a that topup allocated (derived at an
// index) on chain: the suite's deposit addresses. Addresses given to topup to
// watch, and those of other owners or chains, are not.
func (a Announcement) DepositAddresses(chain string) []ListedAddress {
	if a.Chain != chain || (a.Owner != "" && a.Owner != OwnerTopup) {
		return nil
	}
	var out []ListedAddress
	for _, e := range a.Addresses {
		if e.Index != nil {
			out = append(out, e)
		}
	}
	return out
}
