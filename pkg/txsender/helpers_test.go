package txsender_test

import (
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/erc20"
)

func filterTransfersTo(token, to common.Address) ethereum.FilterQuery {
	return ethereum.FilterQuery{
		Addresses: []common.Address{token},
		Topics:    [][]common.Hash{{erc20.TransferEventTopic()}, nil, {common.BytesToHash(to.Bytes())}},
	}
}
