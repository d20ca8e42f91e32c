package events

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
)

func mustKeys(t *testing.T, secrets ...string) Keys {
	t.Helper()
	bs := make([][]byte, len(secrets))
	for i, s := range secrets {
		bs[i] = []byte(s)
	}
	k, err := NewKeys(bs...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	suite := mustKeys(t, "new-internal")
	rotating := mustKeys(t, "newer-internal", "new-internal")
	outsider := mustKeys(t, "guessed")
	key := TransferKey(OwnerTopup)
	ev := Transfer{Kind: KindSeen, Chain: "ETH", TxHash: "0xab", To: "0x01", Amount: "5"}
	body, err := suite.Seal(key, ev)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := outsider.Seal(key, ev)
	raw, _ := json.Marshal(ev)
	var env envelope
	_ = json.Unmarshal(body, &env)
	tampered := strings.Replace(string(body), `\"amount\":\"5\"`, `\"amount\":\"6\"`, 1)
	if tampered == string(body) {
		// Data is embedded as raw JSON, not as a string.
		tampered = strings.Replace(string(body), `"amount":"5"`, `"amount":"6"`, 1)
	}
	cases := []struct {
		name   string
		keys   Keys
		body   []byte
		key    string
		reason string // "" opens
	}{
		{"sealed by the suite", suite, body, key, ""},
		{"sealed with the previous secret during a rotation", rotating, body, key, ""},
		{"no envelope: the bare event", suite, raw, key, "not an internal envelope"},
		{"sealed without the secret", suite, forged, key, "bad mac"},
		{"amount changed", suite, []byte(tampered), key, "bad mac"},
		{"sent to another owner", suite, body, TransferKey(OwnerMatcher), "sealed for another routing key"},
		{"sent straight to the queue", suite, body, TransferQueue(OwnerTopup), "sealed for another routing key"},
		{"extra field", suite, []byte(strings.Replace(string(body), `{"key"`, `{"x":1,"key"`, 1)), key, "not an internal envelope"},
		{"garbage", suite, []byte("\x00\xff"), key, "not an internal envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := c.keys.Open(broker.Delivery{Body: c.body, RoutingKey: c.key})
			if c.reason == "" {
				var got Transfer
				if err != nil || json.Unmarshal(data, &got) != nil || got != ev {
					t.Fatalf("Open = %s, %v", data, err)
				}
				return
			}
			reason, ok := broker.IsPoison(err)
			if !ok || !strings.Contains(reason, c.reason) {
				t.Fatalf("Open = %v, want poison %q", err, c.reason)
			}
		})
	}
	if _, err := NewKeys(); err == nil {
		t.Error("NewKeys() accepted no secret")
	}
	if _, err := NewKeys([]byte("a"), nil); err == nil {
		t.Error("NewKeys accepted an empty secret")
	}
}

type recorder struct {
	mu   sync.Mutex
	keys []string
	msgs []broker.Message
}

func (r *recorder) ConsumeBatches(context.Context, string, int, broker.Handler, broker.Batching) error {
	return errors.New("not a broker")
}

func (r *recorder) Publish(_ context.Context, _, key string, m broker.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, key)
	r.msgs = append(r.msgs, m)
	return nil
}

func TestGuard(t *testing.T) {
	keys := mustKeys(t, "internal")
	alerts := &recorder{}
	g := Guard{Keys: keys, MQ: alerts, Service: "topup", Log: zerolog.Nop()}
	key := TransferKey(OwnerTopup)
	queue := TransferQueue(OwnerTopup)
	var handled [][]byte
	h := g.Handler(queue, func(_ context.Context, d broker.Delivery) error {
		handled = append(handled, d.Body)
		return nil
	})
	good, _ := keys.Seal(key, Transfer{Kind: KindSeen, Amount: "1"})
	if err := h(t.Context(), broker.Delivery{Body: good, RoutingKey: key}); err != nil || len(handled) != 1 || string(handled[0]) == string(good) {
		t.Fatalf("genuine message: err %v, handled %q", err, handled)
	}
	forged := []byte(`{"kind":"seen","amount":"1000000"}`)
	err := h(t.Context(), broker.Delivery{Body: forged, RoutingKey: key})
	if _, ok := broker.IsPoison(err); !ok || len(handled) != 1 {
		t.Fatalf("forged message: err %v, handled %d", err, len(handled))
	}
	if len(alerts.msgs) != 1 || alerts.keys[0] != AlertKey(AlertForgedMessage) {
		t.Fatalf("alerts %v", alerts.keys)
	}
	data, err := keys.Open(broker.Delivery{Body: alerts.msgs[0].Body, RoutingKey: alerts.keys[0]})
	var a Alert
	if err != nil || json.Unmarshal(data, &a) != nil || a.Kind != AlertForgedMessage || a.Key != queue || strings.Contains(a.Message, "1000000") {
		t.Fatalf("alert %s, %v", data, err)
	}

	var batches int
	bh := g.BatchHandler(func(_ context.Context, ds []broker.Delivery) error { batches++; return nil })
	if err := bh(t.Context(), []broker.Delivery{{Body: good, RoutingKey: key}, {Body: forged, RoutingKey: key}}); !errors.Is(err, errForgedInBatch) || batches != 0 {
		t.Fatalf("batch with a forged message: %v, %d batches", err, batches)
	}
	if err := bh(t.Context(), []broker.Delivery{{Body: good, RoutingKey: key}, {Body: good, RoutingKey: key}}); err != nil || batches != 1 {
		t.Fatalf("genuine batch: %v, %d batches", err, batches)
	}
}

// TestEveryInternalMessageIsAuthenticated reads the services' code: nothing
// but this package names the internal exchange in a message or a publish
// (Keys.Message and Keys.Seal are the way), and no internal queue is
// consumed but through base.Guard().Consume.
func TestEveryInternalMessageIsAuthenticated(t *testing.T) {
	root := filepath.Join("..", "..")
	var problems []string
	for _, dir := range []string{"services", "pkg"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
				routesOnly(filepath.ToSlash(path)) {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					// A broker.Binding or broker.Exchange declares the topology;
					// anything else naming the exchange carries a message.
					typ := n.Type
					if arr, ok := typ.(*ast.ArrayType); ok {
						typ = arr.Elt
					}
					if sel, ok := typ.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Binding" || sel.Sel.Name == "Exchange") {
						return false
					}
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "events" && n.Sel.Name == "Exchange" {
						problems = append(problems, fset.Position(n.Pos()).String()+": names events.Exchange outside a binding")
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Consume" || sel.Sel.Name == "ConsumeBatches") && !isGuard(sel.X) {
						for _, arg := range n.Args {
							if call, ok := arg.(*ast.CallExpr); ok {
								arg = call.Fun
							}
							if s, ok := arg.(*ast.SelectorExpr); ok {
								if id, ok := s.X.(*ast.Ident); ok && id.Name == "events" {
									problems = append(problems, fset.Position(n.Pos()).String()+": consumes an internal queue without events.Guard")
								}
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// isGuard reports whether x is a call of a method named Guard (base.Guard()),
// whose Consume authenticates every delivery.
func isGuard(x ast.Expr) bool {
	call, ok := x.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Guard"
}

// routesOnly tells the files that name the internal exchange to declare or
// route by it, never to make a message: this package, the topology and the
// outbox's router between the two virtual hosts.
func routesOnly(path string) bool {
	return strings.Contains(path, "pkg/events/") || strings.Contains(path, "pkg/topology/") ||
		strings.HasSuffix(path, "pkg/service/router.go") || testSupport(path)
}

// testSupport reports whether path is in a test-support package (servicetest,
// flowtest, ...: a folder named *test), which no service links and whose
// forged messages name the internal exchange on purpose.
func testSupport(path string) bool {
	return strings.HasSuffix(filepath.Base(filepath.Dir(path)), "test")
}

func TestReturnMessages(t *testing.T) {
	keys := mustKeys(t, "internal")
	flow := contract.DefaultNames().Order()
	body := []byte(`{"request_id":"o-1","event":"created","status":1,"sign":"ab"}`)
	for _, none := range []*string{nil, new(string)} {
		msgs, err := Return{RequestID: "o-1", CallbackURL: none, MessageID: "o-1:created", Body: body}.Messages(keys, "pay.exchange", flow)
		if err != nil || len(msgs) != 1 || msgs[0].MessageID != "o-1:created" || msgs[0].RoutingKey != flow.ReturnKey ||
			msgs[0].Exchange != "pay.exchange" || string(msgs[0].Body) != string(body) {
			t.Fatalf("without callback: %+v, %v", msgs, err)
		}
	}
	callback := "https://shop.example/hook"
	msgs, err := Return{RequestID: "o-1", CallbackURL: &callback, MessageID: "o-1:created", Body: body}.Messages(keys, "pay.exchange", flow)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("with callback: %+v, %v", msgs, err)
	}
	hook := msgs[1]
	if hook.Exchange != Exchange || hook.RoutingKey != WebhookKey || hook.MessageID != "webhook:o-1:created" {
		t.Fatalf("webhook message %+v", hook)
	}
	data, err := keys.Open(broker.Delivery{Body: hook.Body, RoutingKey: hook.RoutingKey})
	var w Webhook
	if err != nil || json.Unmarshal(data, &w) != nil {
		t.Fatalf("open webhook: %v", err)
	}
	if w.Flow != "order" || w.RequestID != "o-1" || w.CallbackURL != callback || w.MessageID != "o-1:created" || w.Body != string(body) {
		t.Fatalf("webhook %+v", w)
	}
}

// BenchmarkSealTransfer: the listener seals one message per transfer event it
// writes, thousands per block.
func BenchmarkSealTransfer(b *testing.B) {
	keys, err := NewKeys([]byte("a benchmark's internal secret, 32+ characters"))
	if err != nil {
		b.Fatal(err)
	}
	ev := Transfer{Kind: KindSeen, Chain: "ETH", Symbol: "USDT", Token: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
		Decimals: 6, TxHash: "0x" + strings.Repeat("ab", 32), LogIndex: 7, BlockNumber: 123456,
		BlockHash: "0x" + strings.Repeat("cd", 32), From: "0x" + strings.Repeat("01", 20), To: "0x" + strings.Repeat("02", 20),
		Amount: "12345678", Confirmations: 1, Sequence: 1}
	key := TransferKey(OwnerTopup)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keys.Message(key, "id", ev); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAlertRoutedByKind(t *testing.T) {
	keys := mustKeys(t, "internal")
	a := Alert{Kind: AlertLowBalance, Key: "0xhot", Service: "withdraw", Message: "short", At: 1}
	msg, err := keys.Alert("alert:1", a)
	if err != nil || msg.Exchange != Exchange || msg.RoutingKey != AlertKey(AlertLowBalance) || msg.MessageID != "alert:1" {
		t.Fatalf("alert message %+v, %v", msg, err)
	}
	data, err := keys.Open(broker.Delivery{Body: msg.Body, RoutingKey: msg.RoutingKey})
	var got Alert
	if err != nil || json.Unmarshal(data, &got) != nil || got != a {
		t.Fatalf("opened %s, %v", data, err)
	}
}
