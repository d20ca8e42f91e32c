package deploy

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/go-sql-driver/mysql"
)

// Paths relative to this package's directory, where `go test` runs the tests.
const (
	repoRoot     = ".."
	composeFile  = "../docker-compose.yml"
	externalFile = "compose.external.yml"
	initSQLFile  = "mysql-init/01-schemas.sql"
	envExample   = "../.env.example"
	devEnvFile   = "dev.env"
	composeDev   = "compose.dev.env"
	libScript    = "../scripts/lib.sh"
)

// monitoringProfile holds the optional Prometheus and Grafana services.
const monitoringProfile = "monitoring"

// appHealthcheck is how an application container checks itself: the image
// holds only the binary (deploy/Dockerfile copies it to /app/service), which
// probes its own /healthz on HTTP_ADDR.
var appHealthcheck = []string{"CMD", "/app/service", "--healthcheck"}

// tools are the binaries of services/ that are command-line clients, not
// services to deploy.
var tools = []string{"payctl"}

// singletons may run as one replica only; every other service must be safe
// to `docker compose up --scale`.
var singletons = map[string]string{
	"rabbitmq":     "the local broker (use a cluster through deploy/compose.external.yml)",
	"mysql":        "the local database (use a cluster through deploy/compose.external.yml)",
	"devchain":     "the development chain keeps its state in a volume of its own",
	"devchain-bsc": "the second development chain keeps its state in a volume of its own",
	"prometheus":   "one scraper is enough for the local stack",
	"grafana":      "one dashboard server is enough for the local stack",
}

// singleChainVars are the settings of the single-chain form, which a service
// with CHAINS set does not read (onchain.Chains).
var singleChainVars = map[string]bool{"CHAIN": true, "ETH_RPC_URL": true, "ETH_WS_URL": true, "CONFIRMATIONS": true, "TOKENS": true}

// unexposed are variables without a default that the Compose files need not
// offer to the operator, with the reason.
var unexposed = map[string]string{
	"PAYOUT_CRASH_PURPOSE":   "fault-injection hook of the tests",
	"PAYOUT_CRASH_AT":        "fault-injection hook of the tests, refused outside DEV_MODE",
	"PAYOUT_CRASH_ONCE_FILE": "fault-injection hook of the tests",
	"AMQP_CONNECTION_NAME":   "the default, <program>@<hostname>, tells replicas apart; one fixed name would not",
}

// isInfra tells the third-party servers of the stack, which depend on nothing.
func isInfra(service string) bool { return service == "rabbitmq" || service == "mysql" }

// load parses Compose files the way `docker compose` does, with env as the only
// source of variables, so the result does not depend on the machine's environment
// or on a local .env file.
func load(ctx context.Context, files []string, env map[string]string, profiles ...string) (*types.Project, error) {
	abs := make([]string, 0, len(files))
	for _, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", f, err)
		}
		abs = append(abs, a)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root: %w", err)
	}
	vars := make([]string, 0, len(env))
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(abs,
		cli.WithWorkingDirectory(root),
		cli.WithEnv(vars),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		return nil, fmt.Errorf("compose options: %w", err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("load %v: %w", files, err)
	}
	return p, nil
}

func mustLoad(t *testing.T, files []string, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	p, err := load(t.Context(), files, env, profiles...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// env returns a service's variable, "" when unset or declared without a value.
func env(svc types.ServiceConfig, key string) string {
	if v, ok := svc.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

// hostOf returns the host a URL or MySQL DSN setting points at, or "".
func hostOf(key, value string) string {
	if strings.HasSuffix(key, "_DSN") {
		cfg, err := mysql.ParseDSN(value)
		if err != nil || cfg.Net != "tcp" {
			return ""
		}
		host, _, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return cfg.Addr
		}
		return host
	}
	if strings.Contains(value, "://") {
		if u, err := url.Parse(value); err == nil {
			return u.Hostname()
		}
	}
	return ""
}

// loopback tells whether a setting's value points at or binds to the loopback
// interface, which inside a container is the container itself.
func loopback(value string) bool {
	return strings.Contains(value, "127.0.0.1") || strings.Contains(value, "localhost") || strings.Contains(value, "[::1]")
}

// appServices returns the services built from the suite's Dockerfile, each a
// directory of services/.
func appServices(p *types.Project) []string {
	var out []string
	for name, svc := range p.Services {
		if svc.Build != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// daemons returns the binaries of services/ that are meant to be deployed.
func daemons(t *testing.T) []string {
	t.Helper()
	return slices.DeleteFunc(serviceBinaries(t), func(s string) bool { return slices.Contains(tools, s) })
}

// dsnVar is the variable deploy/compose.external.yml reads a service's MySQL
// DSN from: LISTENER_MYSQL_DSN for the chain-listener, TOPUP_MYSQL_DSN...
func dsnVar(service string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(service, "chain-"), "-", "_")) + "_MYSQL_DSN"
}

// databaseServices returns the daemons whose configuration reads MYSQL_DSN.
func databaseServices(cfgs map[string]serviceConfig) []string {
	var out []string
	for name, cfg := range cfgs {
		if _, ok := cfg.Vars["MYSQL_DSN"]; ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// externalBroker is the RabbitMQ cluster of externalEnv.
const externalBroker = "rabbit.cluster.internal:5671"

// externalEnv is what an operator supplies for deploy/compose.external.yml:
// what docker-compose.yml requires (the settings of the development opt-in
// but DEV_MODE, with values of their own), the broker's address and each
// service's DSN.
func externalEnv(t *testing.T, cfgs map[string]serviceConfig) map[string]string {
	t.Helper()
	vars := map[string]string{"AMQP_ADDRESS": externalBroker}
	for k := range readAssignments(t, composeDev) {
		if k != "DEV_MODE" {
			vars[k] = "secret-" + strings.ToLower(strings.ReplaceAll(k, "_", "-"))
		}
	}
	for _, name := range databaseServices(cfgs) {
		user := strings.ToLower(strings.TrimSuffix(dsnVar(name), "_MYSQL_DSN"))
		vars[dsnVar(name)] = user + ":secret@tcp(db.cluster.internal:3306)/?tls=true"
	}
	return vars
}

// dbIdentity is the database user a service logs in as and the schema it owns.
type dbIdentity struct {
	user, schema string
}

// checkProject checks the invariants every variant of the stack must keep and
// returns the database identity of each service that uses MySQL and the
// broker logins of each service that uses RabbitMQ.
func checkProject(t *testing.T, p *types.Project, cfgs map[string]serviceConfig) (map[string]dbIdentity, map[string]brokerLogin) {
	t.Helper()
	for name := range cfgs {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	known := func(name string) bool {
		_, on := p.Services[name]
		_, off := p.DisabledServices[name]
		return on || off
	}

	ids := map[string]dbIdentity{}
	for name, svc := range p.Services {
		hc := svc.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
			t.Errorf("%s: no healthcheck", name)
		}
		if svc.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart is %q, want %q", name, svc.Restart, types.RestartPolicyUnlessStopped)
		}
		// A fixed container name makes a second replica impossible.
		if svc.ContainerName != "" {
			t.Errorf("%s: container_name %q prevents scaling and clashes between projects", name, svc.ContainerName)
		}
		for _, port := range svc.Ports {
			// Published ports are for the operator on this host only.
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d published on %q, want 127.0.0.1", name, port.Target, port.HostIP)
			}
			// Two replicas cannot bind one host port: a scalable service
			// publishes on an ephemeral one, or not at all.
			if _, single := singletons[name]; !single && port.Published != "" {
				t.Errorf("%s: port %d published on fixed host port %s; `--scale %s=2` would fail (use \"127.0.0.1::%d\")",
					name, port.Target, port.Published, name, port.Target)
			}
		}
		if b := svc.Build; b != nil {
			if filepath.ToSlash(b.Dockerfile) != "deploy/Dockerfile" {
				t.Errorf("%s: built from %q, want deploy/Dockerfile", name, b.Dockerfile)
			}
			if arg := b.Args["SERVICE"]; arg == nil || *arg != name {
				t.Errorf("%s: build arg SERVICE is not %q", name, name)
			}
			if hc != nil && !slices.Equal(hc.Test, appHealthcheck) {
				t.Errorf("%s: healthcheck %q, want %q", name, hc.Test, appHealthcheck)
			}
		}

		if isInfra(name) {
			if len(svc.DependsOn) > 0 {
				t.Errorf("%s: infrastructure must not depend on other services", name)
			}
		} else {
			for dep, d := range svc.DependsOn {
				if d.Condition != types.ServiceConditionHealthy {
					t.Errorf("%s: depends on %s with condition %q, want %s", name, dep, d.Condition, types.ServiceConditionHealthy)
				}
				if _, ok := p.Services[dep]; !ok {
					t.Errorf("%s: depends on %s, which is not enabled", name, dep)
				}
			}
			// A service that reaches another one by its name must wait for it.
			for key, v := range svc.Environment {
				if v == nil {
					continue
				}
				host := hostOf(key, *v)
				if host == "" || host == name || !known(host) {
					continue
				}
				if _, ok := p.Services[host]; !ok {
					t.Errorf("%s: %s points at %s, which is not enabled", name, key, host)
				}
				if d, ok := svc.DependsOn[host]; !ok || d.Condition != types.ServiceConditionHealthy {
					t.Errorf("%s: uses %s (%s) without depends_on %s: {condition: %s}", name, host, key, host, types.ServiceConditionHealthy)
				}
			}
		}

		cfg, app := cfgs[name]
		if !app {
			continue
		}
		checkServiceEnv(t, name, svc, cfg)

		dsn := env(svc, "MYSQL_DSN")
		if dsn == "" {
			continue
		}
		mc, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Errorf("%s: MYSQL_DSN: %v", name, err)
			continue
		}
		schema := env(svc, "MYSQL_SCHEMA")
		switch {
		case mc.User == "" || mc.User == "root":
			t.Errorf("%s: MYSQL_DSN logs in as %q, want a user of its own", name, mc.User)
		case schema == "":
			t.Errorf("%s: MYSQL_DSN set without MYSQL_SCHEMA", name)
		case mc.DBName != "":
			t.Errorf("%s: MYSQL_DSN names schema %q; the service refuses that, it uses MYSQL_SCHEMA (%q)", name, mc.DBName, schema)
		}
		ids[name] = dbIdentity{user: mc.User, schema: schema}
	}

	// No two services share a database user or a schema.
	users, schemas := map[string]string{}, map[string]string{}
	for name, id := range ids {
		if other, dup := users[id.user]; dup {
			t.Errorf("%s and %s both log in to MySQL as %q", name, other, id.user)
		}
		if other, dup := schemas[id.schema]; dup {
			t.Errorf("%s and %s both use schema %q", name, other, id.schema)
		}
		users[id.user], schemas[id.schema] = name, name
	}
	checkSharedSecrets(t, p, cfgs)
	return ids, checkBrokerUsers(t, p, cfgs)
}

// sharedSecrets are the settings every service must hold alike: they verify
// the same requests and authenticate each other's messages.
var sharedSecrets = []string{"SIGN_SECRET", "SIGN_SECRET_PREVIOUS", "INTERNAL_SECRET", "INTERNAL_SECRET_PREVIOUS"}

// checkSharedSecrets checks that each shared secret has one value across the
// services that read it (naming the services, never the values).
func checkSharedSecrets(t *testing.T, p *types.Project, cfgs map[string]serviceConfig) {
	t.Helper()
	for _, key := range sharedSecrets {
		groups := map[string][]string{} // value -> services
		for _, name := range slices.Sorted(maps.Keys(cfgs)) {
			if _, ok := cfgs[name].Vars[key]; ok {
				v := env(p.Services[name], key)
				groups[v] = append(groups[v], name)
			}
		}
		if len(groups) > 1 {
			t.Errorf("%s differs between services: %v", key, slices.Collect(maps.Values(groups)))
		}
	}
}

// checkServiceEnv checks a service's environment against what its
// configuration reads (configvars_test.go).
func checkServiceEnv(t *testing.T, name string, svc types.ServiceConfig, cfg serviceConfig) {
	t.Helper()
	// A setting the service does not read is a typo or a leftover, and
	// misleads whoever changes it.
	for _, key := range slices.Sorted(maps.Keys(svc.Environment)) {
		if !cfg.Reads(key) {
			t.Errorf("%s: sets %s, which %s does not read", name, key, cfg.Root)
		}
	}
	for _, v := range cfg.Sorted() {
		_, set := svc.Environment[v.Name]
		switch {
		case v.PerChain:
			// Named after each chain of CHAINS: checked with the chain list.
		case v.Required && env(svc, v.Name) == "":
			t.Errorf("%s: %s is required by %s but not set", name, v.Name, cfg.Root)
		case singleChainVars[v.Name] && env(svc, "CHAINS") != "":
			// Not read with a chain list (onchain.Chains refuses them).
			if set {
				t.Errorf("%s: sets %s beside CHAINS, which refuses it: use CHAIN_<NAME>_*", name, v.Name)
			}
		case v.HasDefault && loopback(v.Default):
			// The default reaches the container itself, never the server meant.
			if got := env(svc, v.Name); got == "" || loopback(got) {
				t.Errorf("%s: %s=%q; the default %q points at the container's own loopback, set it", name, v.Name, got, v.Default)
			}
		case !v.HasDefault && !set && unexposed[v.Name] == "":
			// Without a default the operator has no other way to set it.
			t.Errorf("%s: %s (no default in %s) is not offered: add %s: ${...:-} to its environment", name, v.Name, cfg.Root, v.Name)
		}
	}
	// The Compose files require the secrets, in the development mode too.
	for _, key := range requiredSecrets {
		if _, ok := cfg.Vars[key]; ok && env(svc, key) == "" {
			t.Errorf("%s: %s is not set", name, key)
		}
	}
	if _, err := httpPort(svc); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// httpPort returns the fixed port of a service's HTTP_ADDR, which must listen
// on every interface so that Prometheus reaches each replica.
func httpPort(svc types.ServiceConfig) (int, error) {
	addr := env(svc, "HTTP_ADDR")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("HTTP_ADDR=%q: %w", addr, err)
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		return 0, fmt.Errorf("HTTP_ADDR=%q listens on %s only; Prometheus and the healthcheck need every interface (\":8080\")", addr, host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("HTTP_ADDR=%q: want a fixed port", addr)
	}
	return n, nil
}

// loadConfigs reads the configuration of every deployable service.
func loadConfigs(t *testing.T) map[string]serviceConfig {
	t.Helper()
	return serviceConfigs(t, daemons(t))
}

// TestComposeLocalStack checks the stack as the development opt-in runs it.
func TestComposeLocalStack(t *testing.T) {
	cfgs := loadConfigs(t)
	for _, profiles := range [][]string{nil, {monitoringProfile}} {
		t.Run(fmt.Sprintf("profiles=%v", profiles), func(t *testing.T) {
			p := mustLoad(t, []string{composeFile}, devEnv(t), profiles...)
			for _, want := range []string{"rabbitmq", "mysql"} {
				if _, ok := p.Services[want]; !ok {
					t.Errorf("service %s is missing", want)
				}
			}
			// Every binary of services/ but the tools is deployed, and only those.
			if got, want := appServices(p), daemons(t); !slices.Equal(got, want) {
				t.Errorf("services built from deploy/Dockerfile: %v, want every daemon of services/: %v", got, want)
			}
			ids, logins := checkProject(t, p, cfgs)
			if got, want := slices.Sorted(maps.Keys(ids)), databaseServices(cfgs); !slices.Equal(got, want) {
				t.Errorf("services with a MySQL identity: %v, want %v", got, want)
			}
			checkLocalBroker(t, logins)
			for name, cfg := range cfgs {
				if _, ok := cfg.Vars["AMQP_QUEUE_TYPE"]; !ok {
					continue
				}
				if got := env(p.Services[name], "AMQP_QUEUE_TYPE"); got != "classic" {
					t.Errorf("%s: AMQP_QUEUE_TYPE=%q by default, want classic", name, got)
				}
			}
			checkGrants(t, ids)
		})
	}
}

// TestComposeMonitoringProfile checks that Prometheus and Grafana run only
// with their profile.
func TestComposeMonitoringProfile(t *testing.T) {
	base := mustLoad(t, []string{composeFile}, devEnv(t))
	with := mustLoad(t, []string{composeFile}, devEnv(t), monitoringProfile)
	for _, name := range []string{"prometheus", "grafana"} {
		if _, on := base.Services[name]; on {
			t.Errorf("%s runs without --profile %s", name, monitoringProfile)
		}
		if _, on := with.Services[name]; !on {
			t.Errorf("%s does not run with --profile %s", name, monitoringProfile)
		}
	}
}

// TestComposeProductionSettingsReachServices sets every variable of
// .env.example, with DEV_MODE=false, and checks that each setting a service
// requires outside the development mode (its Validate says "required unless
// DEV_MODE=true") reaches it.
func TestComposeProductionSettingsReachServices(t *testing.T) {
	cfgs := loadConfigs(t)
	vars := readAssignments(t, envExample)
	for k, v := range vars {
		if v == "" {
			vars[k] = "set-" + strings.ToLower(k)
		}
	}
	vars["DEV_MODE"] = "false"
	p := mustLoad(t, []string{composeFile}, vars)
	checked := 0
	for name, cfg := range cfgs {
		svc := p.Services[name]
		for _, v := range cfg.Sorted() {
			if !v.DevOptional {
				continue
			}
			checked++
			if env(svc, v.Name) == "" {
				t.Errorf("%s: %s is required unless DEV_MODE=true, but no variable of .env.example sets it", name, v.Name)
			}
		}
		if env(svc, "DEV_MODE") != "false" && cfg.Vars["DEV_MODE"] != nil {
			t.Errorf("%s: DEV_MODE=false in .env does not reach it", name)
		}
	}
	if checked == 0 {
		t.Fatal("no service has a setting required outside DEV_MODE; the configuration reader found none")
	}
}

// TestComposeExternalClusters checks the stack on external clusters, with an
// environment that still asks for the development mode: the override turns it
// off, whatever the environment says.
func TestComposeExternalClusters(t *testing.T) {
	cfgs := loadConfigs(t)
	ext := externalEnv(t, cfgs)
	vars := maps.Clone(ext)
	vars["DEV_MODE"] = "true"
	for _, profiles := range [][]string{nil, {monitoringProfile}} {
		p := mustLoad(t, []string{composeFile, externalFile}, vars, profiles...)
		for _, infra := range []string{"rabbitmq", "mysql"} {
			if _, on := p.Services[infra]; on {
				t.Errorf("%s still runs with the external override", infra)
			}
			if _, off := p.DisabledServices[infra]; !off {
				t.Errorf("%s is not kept as a disabled service", infra)
			}
		}
		_, logins := checkProject(t, p, cfgs)
		for name, cfg := range cfgs {
			svc := p.Services[name]
			if _, ok := cfg.Vars["DEV_MODE"]; ok && env(svc, "DEV_MODE") != "false" {
				t.Errorf("%s: DEV_MODE=%q with the external override, want false", name, env(svc, "DEV_MODE"))
			}
			if _, ok := cfg.Vars["AMQP_URL"]; ok {
				if got := env(svc, "AMQP_QUEUE_TYPE"); got != "quorum" {
					t.Errorf("%s: AMQP_QUEUE_TYPE=%q, want quorum", name, got)
				}
				// Over TLS, as its own user (checkBrokerUsers checks the rest).
				got, pw := logins[name], ext[brokerPasswordVar(name)]
				want := brokerLogin{
					public:   brokerURL{scheme: "amqps", user: name, password: pw, addr: externalBroker, vhost: publicVhost},
					internal: brokerURL{scheme: "amqps", user: name, password: pw, addr: externalBroker, vhost: internalVhost},
				}
				if got != want {
					t.Errorf("%s: %s (password from %s: %t), want %s", name, got, brokerPasswordVar(name), got.public.password == pw, want)
				}
			}
			if _, ok := cfg.Vars["MYSQL_DSN"]; ok {
				if got, want := env(svc, "MYSQL_DSN"), ext[dsnVar(name)]; got != want {
					t.Errorf("%s: MYSQL_DSN=%q, want %q from %s", name, got, want, dsnVar(name))
				}
			}
		}
	}
}

// TestComposeExternalVhosts checks that the virtual hosts given to
// scripts/broker-users.sh (AMQP_VHOST, AMQP_INTERNAL_VHOST) reach the services.
func TestComposeExternalVhosts(t *testing.T) {
	cfgs := loadConfigs(t)
	vars := externalEnv(t, cfgs)
	vars["AMQP_VHOST"], vars["AMQP_INTERNAL_VHOST"] = "paysuite", "paysuite.private"
	p := mustLoad(t, []string{composeFile, externalFile}, vars)
	for name, cfg := range cfgs {
		if _, ok := cfg.Vars["AMQP_URL"]; !ok {
			continue
		}
		l, err := loginOf(p.Services[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if l.public.vhost != "paysuite" || l.internal.vhost != "paysuite.private" {
			t.Errorf("%s: virtual hosts %q and %q, want paysuite and paysuite.private", name, l.public.vhost, l.internal.vhost)
		}
	}
}

// TestComposeExternalNeedsSettings checks that a missing external address,
// password or secret stops the load with the variable's name instead of
// falling back to a local default.
func TestComposeExternalNeedsSettings(t *testing.T) {
	cfgs := loadConfigs(t)
	for missing := range externalEnv(t, cfgs) {
		t.Run(missing, func(t *testing.T) {
			vars := externalEnv(t, cfgs)
			delete(vars, missing)
			_, err := load(t.Context(), []string{composeFile, externalFile}, vars)
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("load without %s: error %v, want one naming it", missing, err)
			}
		})
	}
}

// TestComposeExternalLocalInfraProfile checks that the disabled servers can still
// be started on purpose with their profile.
func TestComposeExternalLocalInfraProfile(t *testing.T) {
	p := mustLoad(t, []string{composeFile, externalFile}, externalEnv(t, loadConfigs(t)), "local-infra")
	for _, infra := range []string{"rabbitmq", "mysql"} {
		if _, on := p.Services[infra]; !on {
			t.Errorf("%s does not run with --profile local-infra", infra)
		}
	}
}

// grant is one GRANT statement of the init script.
type grant struct {
	user     string
	schema   string // "" for a global (*.*) grant
	wildcard bool   // the schema name holds an unescaped _ or %, a pattern
}

var (
	sqlComment     = regexp.MustCompile(`(?m)--.*$`)
	createDatabase = regexp.MustCompile("(?is)^CREATE\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`?([A-Za-z0-9_$]+)`?")
	createUser     = regexp.MustCompile(`(?is)^CREATE\s+USER\s+(?:IF\s+NOT\s+EXISTS\s+)?'([^']+)'@'([^']+)'`)
	grantOn        = regexp.MustCompile(`(?is)^GRANT\s+.+?\s+ON\s+(\S+)\s+TO\s+'([^']+)'@'([^']+)'`)
	flushPrivs     = regexp.MustCompile(`(?is)^FLUSH\s+PRIVILEGES$`)
)

// splitSQL returns the statements of an SQL script, comments removed and
// whitespace collapsed.
func splitSQL(text string) []string {
	var out []string
	for stmt := range strings.SplitSeq(sqlComment.ReplaceAllString(text, ""), ";") {
		if stmt = strings.Join(strings.Fields(stmt), " "); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

// parseInitSQL reads the schemas, users and grants of the init script. It fails
// on any statement it does not know, so that a new kind of statement gets a
// matching check here instead of slipping through.
func parseInitSQL(text string) (schemas, users map[string]bool, grants []grant, err error) {
	schemas, users = map[string]bool{}, map[string]bool{}
	for _, stmt := range splitSQL(text) {
		if m := createDatabase.FindStringSubmatch(stmt); m != nil {
			schemas[m[1]] = true
		} else if m := createUser.FindStringSubmatch(stmt); m != nil {
			users[m[1]] = true
		} else if m := grantOn.FindStringSubmatch(stmt); m != nil {
			g := grant{user: m[2]}
			target := m[1]
			if target != "*.*" {
				db, _, _ := strings.Cut(target, ".")
				g.schema, g.wildcard = unescapeGrantDB(strings.Trim(db, "`"))
			}
			grants = append(grants, g)
		} else if !flushPrivs.MatchString(stmt) {
			return nil, nil, nil, fmt.Errorf("statement not understood by this check: %q", stmt)
		}
	}
	return schemas, users, grants, nil
}

// unescapeGrantDB turns a database name of a GRANT into the name it matches and
// tells whether it is a pattern: there, an unescaped _ or % is a wildcard.
func unescapeGrantDB(db string) (name string, wildcard bool) {
	var b strings.Builder
	for i := 0; i < len(db); i++ {
		switch c := db[i]; {
		case c == '\\' && i+1 < len(db):
			i++
			b.WriteByte(db[i])
		case c == '_' || c == '%':
			wildcard = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), wildcard
}

// checkGrants checks that the init script creates each service's schema and user
// and grants that user its own schema and nothing else.
func checkGrants(t *testing.T, ids map[string]dbIdentity) {
	t.Helper()
	text, err := os.ReadFile(initSQLFile)
	if err != nil {
		t.Fatal(err)
	}
	schemas, users, grants, err := parseInitSQL(string(text))
	if err != nil {
		t.Fatalf("%s: %v", initSQLFile, err)
	}
	owner := map[string]string{} // schema -> user that owns it
	for _, id := range ids {
		owner[id.schema] = id.user
	}
	for name, id := range ids {
		if !schemas[id.schema] {
			t.Errorf("%s: %s does not create schema %s", name, initSQLFile, id.schema)
		}
		if !users[id.user] {
			t.Errorf("%s: %s does not create user %s", name, initSQLFile, id.user)
		}
		if !slices.ContainsFunc(grants, func(g grant) bool { return g.user == id.user && g.schema == id.schema }) {
			t.Errorf("%s: user %s is granted nothing on %s", name, id.user, id.schema)
		}
	}
	for _, g := range grants {
		switch {
		case g.schema == "":
			t.Errorf("user %s is granted privileges on every schema (*.*)", g.user)
		case g.wildcard:
			t.Errorf("user %s is granted a schema pattern %q; escape _ and %% as \\_ and \\%%", g.user, g.schema)
		case owner[g.schema] != g.user:
			t.Errorf("user %s is granted schema %s, which is not its own", g.user, g.schema)
		}
	}
}

func TestParseInitSQLFlagsBadGrants(t *testing.T) {
	tests := []struct {
		name, sql    string
		wantErr      bool
		wantSchema   string
		wantWildcard bool
	}{
		{name: "escaped", sql: "GRANT ALL ON `a\\_b`.* TO 'u'@'%';", wantSchema: "a_b"},
		{name: "pattern", sql: "GRANT ALL ON `a_b`.* TO 'u'@'%';", wantSchema: "a_b", wantWildcard: true},
		{name: "global", sql: "GRANT SELECT ON *.* TO 'u'@'%';"},
		{name: "unknown statement", sql: "DROP USER 'u'@'%';", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, grants, err := parseInitSQL(tt.sql)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if len(grants) != 1 || grants[0].schema != tt.wantSchema || grants[0].wildcard != tt.wantWildcard {
				t.Errorf("grants = %+v, want schema %q wildcard %v", grants, tt.wantSchema, tt.wantWildcard)
			}
		})
	}
}

// envVarRef matches a variable reference in a Compose file: ${NAME...}.
var envVarRef = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`)

// readAssignments returns the "key = value" lines of an env file or a RabbitMQ configuration file
// as a map, without the spaces around key and value; it skips blank lines and # comments.
func readAssignments(t *testing.T, path string) map[string]string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not key = value: %q", path, line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// TestEnvExampleListsEveryVariable keeps .env.example in step with the Compose
// files: every variable they read is documented there, and nothing else.
func TestEnvExampleListsEveryVariable(t *testing.T) {
	used := map[string]bool{}
	for _, f := range []string{composeFile, externalFile} {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envVarRef.FindAllStringSubmatch(string(text), -1) {
			used[m[1]] = true
		}
	}
	listed := readAssignments(t, envExample)
	for v := range used {
		if _, ok := listed[v]; !ok {
			t.Errorf("%s is read by the Compose files but missing from .env.example", v)
		}
	}
	for v := range listed {
		if !used[v] {
			t.Errorf(".env.example lists %s, which no Compose file reads", v)
		}
	}
}

// upServices reads the SERVICES list of scripts/lib.sh, the services `make up`
// starts, in order.
func upServices(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile(libScript)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^SERVICES=\(([^)]*)\)`).FindSubmatch(text)
	if m == nil {
		t.Fatalf("%s: no SERVICES=(...) line", libScript)
	}
	return strings.Fields(string(m[1]))
}

// devPrefix is the prefix of a service's settings in dev.env, which up.sh hands
// to it as HTTP_ADDR and MYSQL_SCHEMA: LISTENER_HTTP_ADDR...
func devPrefix(service string) string {
	return strings.TrimSuffix(dsnVar(service), "_MYSQL_DSN")
}

// checkSetAndDistinct fails the test for each of keys that is unset in the dev.env vars, or set
// to the value of another.
func checkSetAndDistinct(t *testing.T, vars map[string]string, keys []string) {
	t.Helper()
	seen := map[string]string{}
	for _, k := range keys {
		v := vars[k]
		if v == "" {
			t.Errorf("%s: %s is not set", devEnvFile, k)
			continue
		}
		if other, dup := seen[v]; dup {
			t.Errorf("%s: %s and %s are both %q", devEnvFile, k, other, v)
		}
		seen[v] = k
	}
}

// TestDevEnv checks the settings `make up` runs with (scripts/up.sh).
func TestDevEnv(t *testing.T) {
	vars := readAssignments(t, devEnvFile)
	for _, k := range []string{
		"DEV_MODE", "SIGN_SECRET", "MYSQL_DSN", "AMQP_URL", "AMQP_QUEUE_TYPE", "CHAINS",
		"DEVCHAIN_HTTP_ADDR", "DEVCHAIN_WS_ADDR", "DEVCHAIN_OPS_HTTP_ADDR",
	} {
		if vars[k] == "" {
			t.Errorf("%s: %s is not set", devEnvFile, k)
		}
	}
	if vars["DEV_MODE"] != "true" {
		t.Errorf("%s: DEV_MODE=%q, want true", devEnvFile, vars["DEV_MODE"])
	}
	if _, err := mysql.ParseDSN(vars["MYSQL_DSN"]); err != nil {
		t.Errorf("%s: MYSQL_DSN: %v", devEnvFile, err)
	}
	// The suite serves both development chains, each through its own node
	// (up.sh starts a development chain only when its node URL points at it).
	if vars["CHAINS"] != "ETH,BSC" {
		t.Errorf("%s: CHAINS=%q, want ETH,BSC", devEnvFile, vars["CHAINS"])
	}
	for _, c := range []struct{ name, devchain, id string }{{"ETH", "DEVCHAIN", "1337"}, {"BSC", "DEVCHAIN_BSC", "1338"}} {
		for k, want := range map[string]string{
			"RPC_URL": "http://" + vars[c.devchain+"_HTTP_ADDR"], "WS_URL": "ws://" + vars[c.devchain+"_WS_ADDR"], "CHAIN_ID": c.id,
		} {
			if got := vars["CHAIN_"+c.name+"_"+k]; got != want {
				t.Errorf("%s: CHAIN_%s_%s=%q, want %q (the development chain)", devEnvFile, c.name, k, got, want)
			}
		}
	}
	for k := range singleChainVars {
		if _, set := vars[k]; set {
			t.Errorf("%s: %s is set beside CHAINS, which refuses it", devEnvFile, k)
		}
	}

	// make up starts every daemon, the chains first: ETH's (devchain) and BSC's
	// (devchain-bsc, the same binary).
	up := upServices(t)
	if len(up) < 2 || up[0] != "devchain" || up[1] != "devchain-bsc" {
		t.Errorf("%s: SERVICES=%v, want devchain and devchain-bsc first", libScript, up)
	}
	daemonsUp := slices.DeleteFunc(slices.Clone(up), func(s string) bool { return s == "devchain-bsc" })
	if got, want := slices.Sorted(slices.Values(daemonsUp)), daemons(t); !slices.Equal(got, want) {
		t.Errorf("%s: SERVICES=%v, want every daemon of services/: %v", libScript, up, want)
	}

	// All services listen on one host, so no two addresses may be the same, and
	// no two services share a schema. The second chain's settings are the
	// script's, which hands them to the chain as DEVCHAIN_*.
	addrKeys := []string{"DEVCHAIN_HTTP_ADDR", "DEVCHAIN_WS_ADDR", "DEVCHAIN_OPS_HTTP_ADDR",
		"DEVCHAIN_BSC_HTTP_ADDR", "DEVCHAIN_BSC_WS_ADDR", "DEVCHAIN_BSC_OPS_HTTP_ADDR"}
	var schemaKeys []string
	scriptOnly := map[string]bool{}
	for _, k := range []string{"DEVCHAIN_OPS_HTTP_ADDR", "DEVCHAIN_BSC_HTTP_ADDR", "DEVCHAIN_BSC_WS_ADDR", "DEVCHAIN_BSC_OPS_HTTP_ADDR", "DEVCHAIN_BSC_DATA_DIR"} {
		scriptOnly[k] = true
	}
	for _, svc := range daemonsUp {
		if svc == "devchain" {
			continue
		}
		addrKey, schemaKey := devPrefix(svc)+"_HTTP_ADDR", devPrefix(svc)+"_MYSQL_SCHEMA"
		addrKeys, schemaKeys = append(addrKeys, addrKey), append(schemaKeys, schemaKey)
		scriptOnly[addrKey], scriptOnly[schemaKey] = true, true
	}
	checkSetAndDistinct(t, vars, schemaKeys)
	checkSetAndDistinct(t, vars, addrKeys)

	// Every other setting is one that some service reads: a typo would be
	// silently ignored.
	read := map[string]bool{}
	readers := slices.Collect(maps.Values(serviceConfigs(t, daemonsUp)))
	for _, cfg := range readers {
		for name := range cfg.Vars {
			read[name] = true
		}
	}
	for k := range vars {
		if !scriptOnly[k] && !read[k] && !slices.ContainsFunc(readers, func(c serviceConfig) bool { return c.Reads(k) }) {
			t.Errorf("%s: %s is read by no service", devEnvFile, k)
		}
	}
}
