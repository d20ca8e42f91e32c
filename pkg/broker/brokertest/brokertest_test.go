package brokertest_test

import (
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
)

func TestVhostsAreTheTestsAlone(t *testing.T) {
	v := brokertest.NewVhosts(t, "t-brokertest")
	topo := broker.Topology{Queues: []broker.Queue{{Name: "q"}}}
	pub := brokertest.Dial(t, v.Public, topo)
	internal := brokertest.Dial(t, v.Internal, topo)
	fromPublic, fromInternal := brokertest.Follow(t, pub, "q"), brokertest.Follow(t, internal, "q")
	if err := pub.Publish(t.Context(), "", "q", broker.Message{Body: []byte("public")}); err != nil {
		t.Fatal(err)
	}
	if err := internal.Publish(t.Context(), "", "q", broker.Message{Body: []byte("internal")}); err != nil {
		t.Fatal(err)
	}
	if d := brokertest.Next(t, fromPublic, "public"); string(d.Body) != "public" {
		t.Fatalf("public virtual host delivered %q", d.Body)
	}
	if d := brokertest.Next(t, fromInternal, "internal"); string(d.Body) != "internal" {
		t.Fatalf("internal virtual host delivered %q", d.Body)
	}
	if cfg := v.Config(broker.Config{}); cfg.URL != v.Public || cfg.InternalURL != v.Internal || v.Public == v.Internal {
		t.Fatalf("config %+v of %+v", cfg, v)
	}
}
