package txsender

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"
)

// load reads a send and its latest attempt.
func (s *Sender) load(ctx context.Context, id uint64) (*Send, *Attempt, error) {
	var send Send
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&send).Error; err != nil {
		return nil, nil, fmt.Errorf("load send %d: %w", id, err)
	}
	var att Attempt
	if err := s.db.WithContext(ctx).Where("send_id = ?", id).Order("id DESC").First(&att).Error; err != nil {
		return nil, nil, fmt.Errorf("load attempt of send %d: %w", id, err)
	}
	return &send, &att, nil
}

// SendByKey returns the send stored under key, or nil.
func SendByKey(tx *gorm.DB, key string) (*Send, error) {
	var send Send
	err := tx.Where("send_key = ?", key).First(&send).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find send %s: %w", key, err)
	}
	return &send, nil
}

// AttemptsOf returns every attempt of a send, oldest first.
func AttemptsOf(tx *gorm.DB, sendID uint64) ([]Attempt, error) {
	var out []Attempt
	if err := tx.Where("send_id = ?", sendID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("attempts of send %d: %w", sendID, err)
	}
	return out, nil
}

func addrString(a common.Address) string { return strings.ToLower(a.Hex()) }

func hashString(h common.Hash) string { return strings.ToLower(h.Hex()) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
