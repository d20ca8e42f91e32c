package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// publishRescan sends an operator rescan request as payctl rescan does,
// sealed with the suite's internal keys.
func (s *Suite) publishRescan(t *testing.T, data []byte) {
	t.Helper()
	var v any = json.RawMessage(data)
	if !json.Valid(data) {
		v = string(data) // sealed as it is, for the listener to refuse
	}
	body, err := devKeys.Seal(events.RescanKey, v)
	if err != nil {
		t.Fatal(err)
	}
	conn, ch := brokertest.RawChannel(t, s.InternalURL, true)
	defer conn.Close()
	brokertest.PublishConfirmed(t, ch, events.Exchange, events.RescanKey, amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body,
		MessageId: fmt.Sprintf("rescan-test-%d", time.Now().UnixNano()),
	})
}

// sqlExec runs a statement in a service's schema with the mariadb client.
func (s *Suite) sqlExec(t *testing.T, svc, stmt string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "mariadb", "-h127.0.0.1", "-uroot", "-N", "-B",
		s.dbSchema(svc), "-e", stmt).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v %s", stmt, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestRescanRecoversLostTransfer loses a reported transfer from the listener's
// records and has an operator rescan find it again: the transfer is recorded
// once more, and what topup reports stays consistent (the re-sent events start
// over at sequence 1, which topup ignores as stale).
func TestRescanRecoversLostTransfer(t *testing.T) {
	s, c := startDeposits(t)
	addr := register(t, s, c, "rescan-1")
	tx := s.SendUSDT(2, addr, "7.25")
	s.Mine(confirmations)
	confirmed := waitDeposit(t, c, "rescan-1", 1, 1)[0]
	if confirmed.Str("tx_hash") != tx.Hex() {
		t.Fatalf("confirmed deposit: %s", confirmed.Body)
	}
	head := s.Head()

	s.Kill("chain-listener")
	s.sqlExec(t, "chain-listener", "DELETE FROM transfers")
	s.Start("chain-listener")
	s.WaitConsumers(events.RescanQueue, 1)
	s.Mine(1) // the listener scans past the lost transfer's block, which it does not read again

	// Garbage and oversized requests are dead-lettered, never recorded.
	s.publishRescan(t, []byte(`{"from":10,"to":1}`))
	s.publishRescan(t, []byte(`{"from":1,"to":200000}`))
	s.publishRescan(t, []byte(`not json`))
	servicetest.Eventually(t, "three rejected rescan requests in the internal dead-letter queue", func() bool {
		return s.depthAt(s.InternalURL, deadQueue) == 3
	})
	if n := s.sqlCount("chain-listener", "SELECT COUNT(*) FROM rescans"); n != 0 {
		t.Fatalf("%d rescans recorded from invalid requests", n)
	}
	if n := s.sqlCount("chain-listener", "SELECT COUNT(*) FROM transfers"); n != 0 {
		t.Fatalf("the lost transfer came back without a rescan (%d rows)", n)
	}

	body, _ := json.Marshal(map[string]uint64{"from": 1, "to": head})
	s.publishRescan(t, body)
	servicetest.Eventually(t, "the rescan to finish", func() bool {
		return s.sqlCount("chain-listener", "SELECT COUNT(*) FROM rescans WHERE done = 1") == 1
	})
	row := s.sqlExec(t, "chain-listener", "SELECT tx_hash, to_address, amount, status FROM transfers")
	want := fmt.Sprintf("%s\t%s\t7250000\tconfirmed", strings.ToLower(tx.Hex()), strings.ToLower(addr))
	if row != want {
		t.Fatalf("transfers after the rescan:\n%q\nwant\n%q", row, want)
	}
	if found := s.sqlExec(t, "chain-listener", "SELECT found FROM rescans"); found != "1" {
		t.Errorf("rescan found %s transfers, want 1", found)
	}

	// A second rescan of the same range finds nothing new.
	s.publishRescan(t, body)
	servicetest.Eventually(t, "the second rescan to finish", func() bool {
		return s.sqlCount("chain-listener", "SELECT COUNT(*) FROM rescans WHERE done = 1") == 2
	})
	if found := s.sqlExec(t, "chain-listener", "SELECT found FROM rescans ORDER BY id DESC LIMIT 1"); found != "0" {
		t.Errorf("second rescan found %s transfers, want 0", found)
	}

	// Let the re-sent events reach topup, then check what it reported.
	servicetest.Eventually(t, "the listener's outbox to drain", func() bool {
		return s.sqlCount("chain-listener", "SELECT COUNT(*) FROM outbox") == 0
	})
	s.waitDrained(events.TransferQueue(events.OwnerTopup), wait)
	msgs := c.All()
	assertConsistent(t, msgs)
	if got := distinct(Find(msgs, depositsOf("rescan-1", 1))); len(got) != 1 {
		t.Errorf("%d distinct confirmed deposits, want 1", len(got))
	}
}
