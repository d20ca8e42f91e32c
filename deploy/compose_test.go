package deploy

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
)

// externalEnv is what an operator supplies for deploy/compose.external.yml.
func externalEnv() map[string]string {
	return map[string]string{
		"AMQP_URL":           "amqps://paysuite:secret@rabbit.cluster.internal:5671/paysuite",
		"LISTENER_MYSQL_DSN": "listener:secret@tcp(db.cluster.internal:3306)/?tls=true",
		"TOPUP_MYSQL_DSN":    "topup:secret@tcp(db.cluster.internal:3306)/?tls=true",
	}
}

// requiredEnv lists, per application service, the variables it cannot start
// without. SIGN_SECRET is checked apart: it may be empty in development mode.
func requiredEnv() map[string][]string {
	app := []string{"AMQP_URL", "MYSQL_DSN", "MYSQL_SCHEMA", "ETH_RPC_URL"}
	return map[string][]string{"chain-listener": app, "topup": app}
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

// dbIdentity is the database user a service logs in as and the schema it owns.
type dbIdentity struct {
	user, schema string
}

// checkProject checks the invariants every variant of the stack must keep and
// returns the database identity of each service that uses MySQL.
func checkProject(t *testing.T, p *types.Project) map[string]dbIdentity {
	t.Helper()
	for name := range requiredEnv() {
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
		for _, port := range svc.Ports {
			// Published ports are for the operator on this host only.
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d published on %q, want 127.0.0.1", name, port.Target, port.HostIP)
			}
		}
		if b := svc.Build; b != nil {
			if filepath.ToSlash(b.Dockerfile) != "deploy/Dockerfile" {
				t.Errorf("%s: built from %q, want deploy/Dockerfile", name, b.Dockerfile)
			}
			if arg := b.Args["SERVICE"]; arg == nil || *arg != name {
				t.Errorf("%s: build arg SERVICE is not %q", name, name)
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

		for _, key := range requiredEnv()[name] {
			if env(svc, key) == "" {
				t.Errorf("%s: %s is not set", name, key)
			}
		}
		if _, app := requiredEnv()[name]; app && env(svc, "SIGN_SECRET") == "" && env(svc, "DEV_MODE") != "true" {
			t.Errorf("%s: neither SIGN_SECRET nor DEV_MODE=true is set", name)
		}

		dsn := env(svc, "MYSQL_DSN")
		if dsn == "" {
			continue
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Errorf("%s: MYSQL_DSN: %v", name, err)
			continue
		}
		schema := env(svc, "MYSQL_SCHEMA")
		switch {
		case cfg.User == "" || cfg.User == "root":
			t.Errorf("%s: MYSQL_DSN logs in as %q, want a user of its own", name, cfg.User)
		case schema == "":
			t.Errorf("%s: MYSQL_DSN set without MYSQL_SCHEMA", name)
		case cfg.DBName != "" && cfg.DBName != schema:
			t.Errorf("%s: MYSQL_DSN names schema %q but MYSQL_SCHEMA is %q", name, cfg.DBName, schema)
		}
		ids[name] = dbIdentity{user: cfg.User, schema: schema}
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
	return ids
}

func TestComposeLocalStack(t *testing.T) {
	p := mustLoad(t, []string{composeFile}, nil)
	for _, want := range []string{"rabbitmq", "mysql", "devchain", "chain-listener", "topup"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("service %s is missing", want)
		}
	}
	ids := checkProject(t, p)
	if len(ids) != len(requiredEnv()) {
		t.Errorf("%d services use MySQL, want %d", len(ids), len(requiredEnv()))
	}
	for name := range requiredEnv() {
		if got := env(p.Services[name], "AMQP_QUEUE_TYPE"); got != "classic" {
			t.Errorf("%s: AMQP_QUEUE_TYPE=%q by default, want classic", name, got)
		}
	}
	checkGrants(t, ids)
}

func TestComposeExternalClusters(t *testing.T) {
	ext := externalEnv()
	p := mustLoad(t, []string{composeFile, externalFile}, ext)
	for _, infra := range []string{"rabbitmq", "mysql"} {
		if _, on := p.Services[infra]; on {
			t.Errorf("%s still runs with the external override", infra)
		}
		if _, off := p.DisabledServices[infra]; !off {
			t.Errorf("%s is not kept as a disabled service", infra)
		}
	}
	checkProject(t, p)
	for name, dsnVar := range map[string]string{"chain-listener": "LISTENER_MYSQL_DSN", "topup": "TOPUP_MYSQL_DSN"} {
		svc := p.Services[name]
		if got := env(svc, "AMQP_QUEUE_TYPE"); got != "quorum" {
			t.Errorf("%s: AMQP_QUEUE_TYPE=%q, want quorum", name, got)
		}
		if got := env(svc, "AMQP_URL"); got != ext["AMQP_URL"] {
			t.Errorf("%s: AMQP_URL=%q, want %q", name, got, ext["AMQP_URL"])
		}
		if got := env(svc, "MYSQL_DSN"); got != ext[dsnVar] {
			t.Errorf("%s: MYSQL_DSN=%q, want %q from %s", name, got, ext[dsnVar], dsnVar)
		}
	}
}

// TestComposeExternalNeedsSettings checks that a missing external address stops
// the load with the variable's name instead of falling back to a local default.
func TestComposeExternalNeedsSettings(t *testing.T) {
	for missing := range externalEnv() {
		t.Run(missing, func(t *testing.T) {
			vars := externalEnv()
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
	p := mustLoad(t, []string{composeFile, externalFile}, externalEnv(), "local-infra")
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

// parseInitSQL reads the schemas, users and grants of the init script. It fails
// on any statement it does not know, so that a new kind of statement gets a
// matching check here instead of slipping through.
func parseInitSQL(text string) (schemas, users map[string]bool, grants []grant, err error) {
	schemas, users = map[string]bool{}, map[string]bool{}
	for stmt := range strings.SplitSeq(sqlComment.ReplaceAllString(text, ""), ";") {
		stmt = strings.Join(strings.Fields(stmt), " ")
		if stmt == "" {
			continue
		}
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

// readEnvFile returns the KEY=value lines of an env file as a map.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not KEY=value: %q", path, line)
		}
		vars[k] = v
	}
	return vars
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
	listed := readEnvFile(t, envExample)
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

// TestDevEnv checks the settings `make up` runs with (scripts/up.sh).
func TestDevEnv(t *testing.T) {
	vars := readEnvFile(t, devEnvFile)
	for _, k := range []string{
		"DEV_MODE", "SIGN_SECRET", "MYSQL_DSN", "AMQP_URL", "AMQP_QUEUE_TYPE", "ETH_RPC_URL", "ETH_WS_URL",
		"CHAIN", "CONFIRMATIONS", "TOKENS", "DEVCHAIN_HTTP_ADDR", "DEVCHAIN_WS_ADDR",
		"LISTENER_MYSQL_SCHEMA", "TOPUP_MYSQL_SCHEMA",
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
	if vars["LISTENER_MYSQL_SCHEMA"] == vars["TOPUP_MYSQL_SCHEMA"] {
		t.Errorf("%s: the listener and topup share schema %q", devEnvFile, vars["TOPUP_MYSQL_SCHEMA"])
	}
	// up.sh starts the development chain only when ETH_RPC_URL points at it.
	if want := "http://" + vars["DEVCHAIN_HTTP_ADDR"]; vars["ETH_RPC_URL"] != want {
		t.Errorf("%s: ETH_RPC_URL=%q, want %q (the development chain)", devEnvFile, vars["ETH_RPC_URL"], want)
	}
	if want := "ws://" + vars["DEVCHAIN_WS_ADDR"]; vars["ETH_WS_URL"] != want {
		t.Errorf("%s: ETH_WS_URL=%q, want %q (the development chain)", devEnvFile, vars["ETH_WS_URL"], want)
	}
	// All services listen on one host, so no two addresses may be the same.
	seen := map[string]string{}
	for _, k := range []string{"DEVCHAIN_HTTP_ADDR", "DEVCHAIN_WS_ADDR", "DEVCHAIN_OPS_HTTP_ADDR", "LISTENER_HTTP_ADDR", "TOPUP_HTTP_ADDR"} {
		addr := vars[k]
		if addr == "" {
			t.Errorf("%s: %s is not set", devEnvFile, k)
			continue
		}
		if other, dup := seen[addr]; dup {
			t.Errorf("%s: %s and %s are both %s", devEnvFile, k, other, addr)
		}
		seen[addr] = k
	}
}
