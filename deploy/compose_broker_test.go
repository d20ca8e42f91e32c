package deploy

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// rabbitConfFile is the local broker's configuration, mounted in the image's conf.d.
const rabbitConfFile = "rabbitmq/rabbitmq.conf"

// brokerURL is where and as whom an AMQP_URL or AMQP_INTERNAL_URL logs in.
type brokerURL struct {
	scheme, user, password, addr, vhost string
}

// String shows the URL without its password.
func (b brokerURL) String() string {
	return fmt.Sprintf("%s://%s@%s (virtual host %q)", b.scheme, b.user, b.addr, b.vhost)
}

// brokerLogin is a service's two broker connections: the public virtual host
// (AMQP_URL) and the internal one (AMQP_INTERNAL_URL).
type brokerLogin struct {
	public, internal brokerURL
}

func (l brokerLogin) String() string {
	return fmt.Sprintf("AMQP_URL %s and AMQP_INTERNAL_URL %s", l.public, l.internal)
}

// parseBrokerURL reads an amqp:// or amqps:// URL as the services' client
// does: the path after its first slash, unescaped, is the virtual host, and
// an empty one is "/".
func parseBrokerURL(raw string) (brokerURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The error would repeat the URL, and with it the password.
		return brokerURL{}, errors.New("not a URL")
	}
	if u.Scheme != "amqp" && u.Scheme != "amqps" {
		return brokerURL{}, fmt.Errorf("scheme %q, want amqp or amqps", u.Scheme)
	}
	pw, _ := u.User.Password()
	b := brokerURL{scheme: u.Scheme, user: u.User.Username(), password: pw, addr: u.Host, vhost: publicVhost}
	if len(u.Path) > 1 {
		b.vhost = u.Path[1:]
	}
	return b, nil
}

// loginOf reads a service's two broker URLs.
func loginOf(svc types.ServiceConfig) (brokerLogin, error) {
	var l brokerLogin
	var err error
	if l.public, err = parseBrokerURL(env(svc, "AMQP_URL")); err != nil {
		return l, fmt.Errorf("AMQP_URL: %w", err)
	}
	if l.internal, err = parseBrokerURL(env(svc, "AMQP_INTERNAL_URL")); err != nil {
		return l, fmt.Errorf("AMQP_INTERNAL_URL: %w", err)
	}
	return l, nil
}

// brokerPasswordVar is the variable of a service's broker password, the one
// scripts/broker-users.sh reads too: LISTENER_AMQP_PASSWORD for the
// chain-listener, TOPUP_AMQP_PASSWORD...
func brokerPasswordVar(service string) string { return devPrefix(service) + "_AMQP_PASSWORD" }

// checkBrokerUsers checks that every service that uses RabbitMQ logs in as a
// user of its own, the one scripts/broker-users.sh creates for it (named after
// it) and grants what the service needs on both virtual hosts: never guest,
// the business systems' user or another service's. It returns the logins.
func checkBrokerUsers(t *testing.T, p *types.Project, cfgs map[string]serviceConfig) map[string]brokerLogin {
	t.Helper()
	perms, _ := brokerGrants(t)
	granted := func(user, vhost string) bool {
		return slices.ContainsFunc(perms, func(g permission) bool { return g.User == user && g.Vhost == vhost })
	}
	out := map[string]brokerLogin{}
	for _, name := range slices.Sorted(maps.Keys(cfgs)) {
		if _, ok := cfgs[name].Vars["AMQP_URL"]; !ok {
			continue
		}
		l, err := loginOf(p.Services[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		out[name] = l
		pub, in := l.public, l.internal
		switch {
		case pub.user != name:
			t.Errorf("%s: AMQP_URL logs in as %q, want its own broker user %q", name, pub.user, name)
		case pub.password == "":
			t.Errorf("%s: AMQP_URL has no password", name)
		case in.user != pub.user || in.password != pub.password || in.addr != pub.addr || in.scheme != pub.scheme:
			t.Errorf("%s: %s: want the same user, password and broker on both", name, l)
		case in.vhost == pub.vhost:
			t.Errorf("%s: AMQP_INTERNAL_URL is in the public virtual host %q", name, pub.vhost)
		}
		for _, v := range []string{pub.vhost, in.vhost} {
			if !granted(pub.user, v) {
				t.Errorf("%s: %s --print grants user %q nothing on virtual host %q", name, brokerUsersScript, pub.user, v)
			}
		}
	}
	return out
}

// checkLocalBroker checks that every service reaches the local rabbitmq
// container on its two virtual hosts, with a password that logs in there: the
// one whose hash deploy/rabbitmq/definitions.json gives its user.
func checkLocalBroker(t *testing.T, logins map[string]brokerLogin) {
	t.Helper()
	d := readDefinitions(t)
	for _, name := range slices.Sorted(maps.Keys(logins)) {
		l := logins[name]
		if l.public.addr != "rabbitmq:5672" || l.public.vhost != publicVhost || l.internal.vhost != internalVhost {
			t.Errorf("%s: %s, want rabbitmq:5672, virtual hosts %q and %q", name, l, publicVhost, internalVhost)
		}
		i := slices.IndexFunc(d.Users, func(u brokerUser) bool { return u.Name == l.public.user })
		if i < 0 {
			t.Errorf("%s: user %q is not in %s", name, l.public.user, definitionsFile)
			continue
		}
		if err := verifyPassword(d.Users[i].PasswordHash, l.public.password); err != nil {
			t.Errorf("%s: the password of %s does not log in to the local broker: %v", name, brokerPasswordVar(name), err)
		}
	}
}

// TestComposeBrokerLoadsDefinitions checks that the local broker reads
// deploy/rabbitmq/rabbitmq.conf, which imports the definitions at the path
// where they are mounted, and lets guest in from outside the container.
func TestComposeBrokerLoadsDefinitions(t *testing.T) {
	conf := readAssignments(t, rabbitConfFile)
	if got := conf["loopback_users.guest"]; got != "false" {
		t.Errorf("%s: loopback_users.guest = %q, want false (guest is for operators on the host)", rabbitConfFile, got)
	}
	target := conf["load_definitions"]
	if target == "" {
		t.Fatalf("%s: no load_definitions", rabbitConfFile)
	}
	p := mustLoad(t, []string{composeFile}, devEnv(t))
	rabbit, ok := p.Services["rabbitmq"]
	if !ok {
		t.Fatal("service rabbitmq is missing")
	}
	mounts := map[string]string{} // source file -> target in the container
	for _, v := range rabbit.Volumes {
		if v.Type == types.VolumeTypeBind {
			mounts[v.Source] = v.Target
			if !v.ReadOnly {
				t.Errorf("rabbitmq: %s is mounted writable", v.Source)
			}
		}
	}
	for file, want := range map[string]string{definitionsFile: target, rabbitConfFile: "/etc/rabbitmq/conf.d/"} {
		src, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := mounts[src]
		switch {
		case !ok:
			t.Errorf("rabbitmq: %s is not mounted", file)
		case strings.HasSuffix(want, "/") && (filepath.Dir(got)+"/" != want || !strings.HasSuffix(got, ".conf")):
			t.Errorf("rabbitmq: %s is mounted at %s, want a .conf file in %s", file, got, want)
		case !strings.HasSuffix(want, "/") && got != want:
			t.Errorf("rabbitmq: %s is mounted at %s, but %s loads %s", file, got, rabbitConfFile, want)
		}
	}
}
