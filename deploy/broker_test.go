package deploy

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Paths relative to this package's directory.
const (
	brokerUsersScript = "../scripts/broker-users.sh"
	definitionsFile   = "rabbitmq/definitions.json"
)

// The virtual hosts scripts/broker-users.sh uses by default: the public API's
// and that of the messages between the services (broker.InternalVhost).
const (
	publicVhost   = "/"
	internalVhost = "paysuite.internal"
)

// operator is RabbitMQ's own guest user, which the local development broker
// keeps for operators (management UI, payctl); scripts/broker-users.sh --dev
// gives it every virtual host.
const operator = "guest"

// sha256Hashing is the hashing algorithm of every user in the definitions.
const sha256Hashing = "rabbit_password_hashing_sha256"

var update = flag.Bool("update", false, "rewrite "+definitionsFile+" from scripts/broker-users.sh --print")

// permission is one grant of scripts/broker-users.sh --print and of a
// definitions file: what a user may configure, write and read in a virtual
// host, each a regular expression of resource names.
type permission struct {
	User      string `json:"user"`
	Vhost     string `json:"vhost"`
	Configure string `json:"configure"`
	Write     string `json:"write"`
	Read      string `json:"read"`
}

// topicPermission limits the routing keys a user may publish (Write) or bind
// (Read) with on a topic exchange.
type topicPermission struct {
	User     string `json:"user"`
	Vhost    string `json:"vhost"`
	Exchange string `json:"exchange"`
	Write    string `json:"write"`
	Read     string `json:"read"`
}

// policy is a RabbitMQ policy: the dead-letter policies of
// scripts/broker-users.sh.
type policy struct {
	Vhost      string          `json:"vhost"`
	Name       string          `json:"name"`
	Pattern    string          `json:"pattern"`
	ApplyTo    string          `json:"apply-to"`
	Definition json.RawMessage `json:"definition"`
	Priority   int             `json:"priority"`
}

// line is p as scripts/broker-users.sh --print writes it, for comparing.
func (p policy) line() string {
	var def bytes.Buffer
	if err := json.Compact(&def, p.Definition); err != nil {
		def.Reset()
		def.Write(p.Definition)
	}
	return fmt.Sprintf("policy %s %s %s %d %s %s", p.Vhost, p.Name, p.ApplyTo, p.Priority, p.Pattern, def.Bytes())
}

type brokerUser struct {
	Name             string   `json:"name"`
	PasswordHash     string   `json:"password_hash"`
	HashingAlgorithm string   `json:"hashing_algorithm"`
	Tags             []string `json:"tags"`
}

type vhostDef struct {
	Name string `json:"name"`
}

// definitions is the part of RabbitMQ's definitions format the local broker
// is given. It is decoded strictly: queues, exchanges, policies or anything
// else added to the file fail the test until it checks them too.
type definitions struct {
	Users            []brokerUser      `json:"users"`
	Vhosts           []vhostDef        `json:"vhosts"`
	Permissions      []permission      `json:"permissions"`
	TopicPermissions []topicPermission `json:"topic_permissions"`
	Policies         []policy          `json:"policies"`
}

// brokerGrants runs scripts/broker-users.sh --print, with the default virtual
// hosts: the permissions of every user it creates.
func brokerGrants(t *testing.T) ([]permission, []topicPermission) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", brokerUsersScript, "--print")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "AMQP_VHOST=") || strings.HasPrefix(kv, "AMQP_INTERNAL_VHOST=")
	})
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --print: %v: %s", brokerUsersScript, err, stderr.Bytes())
	}
	perms, topics, err := parseGrants(string(out))
	if err != nil {
		t.Fatalf("%s --print: %v", brokerUsersScript, err)
	}
	if len(perms) == 0 || len(topics) == 0 {
		t.Fatalf("%s --print: %d permissions and %d topic permissions, want some of each", brokerUsersScript, len(perms), len(topics))
	}
	return perms, topics
}

// parseGrants reads the lines of scripts/broker-users.sh --print:
// "<user> <vhost> <configure> <write> <read>" and
// "topic <user> <vhost> <exchange> <write> <read>".
func parseGrants(text string) ([]permission, []topicPermission, error) {
	var perms []permission
	var topics []topicPermission
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		switch {
		case len(f) == 0, len(f) == 7 && f[0] == "policy":
		case len(f) == 6 && f[0] == "topic":
			topics = append(topics, topicPermission{User: f[1], Vhost: f[2], Exchange: f[3], Write: f[4], Read: f[5]})
		case len(f) == 5 && f[0] != "topic":
			perms = append(perms, permission{User: f[0], Vhost: f[1], Configure: f[2], Write: f[3], Read: f[4]})
		default:
			return nil, nil, fmt.Errorf("line not understood by this check: %q", line)
		}
	}
	return perms, topics, nil
}

// brokerPolicies are the policies of scripts/broker-users.sh --print:
// "policy <vhost> <name> <apply-to> <priority> <pattern> <definition>".
func brokerPolicies(t *testing.T) []policy {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "bash", brokerUsersScript, "--print").Output()
	if err != nil {
		t.Fatalf("%s --print: %v", brokerUsersScript, err)
	}
	var ps []policy
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) != 7 || f[0] != "policy" {
			continue
		}
		var prio int
		if _, err := fmt.Sscan(f[4], &prio); err != nil || !json.Valid([]byte(f[6])) {
			t.Fatalf("%s --print: policy line not understood: %q", brokerUsersScript, line)
		}
		ps = append(ps, policy{Vhost: f[1], Name: f[2], ApplyTo: f[3], Priority: prio, Pattern: f[5], Definition: json.RawMessage(f[6])})
	}
	if len(ps) == 0 {
		t.Fatalf("%s --print: no policies", brokerUsersScript)
	}
	return ps
}

func policyLines(ps []policy) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.line()
	}
	return out
}

// devPassword is a user's password in development: its name
// (scripts/broker-users.sh --dev), guest's included.
func devPassword(user string) string { return user }

// hashPassword is RabbitMQ's rabbit_password_hashing_sha256 hash: base64 of
// a 4-byte salt followed by SHA-256(salt + password).
func hashPassword(salt [4]byte, password string) string {
	sum := sha256.Sum256(append(salt[:], password...))
	return base64.StdEncoding.EncodeToString(append(salt[:], sum[:]...))
}

// verifyPassword checks a rabbit_password_hashing_sha256 hash against a password.
func verifyPassword(hash, password string) error {
	raw, err := base64.StdEncoding.DecodeString(hash)
	if err != nil {
		return fmt.Errorf("password hash is not base64: %w", err)
	}
	if len(raw) != 4+sha256.Size {
		return fmt.Errorf("password hash holds %d bytes, want a 4-byte salt and a SHA-256", len(raw))
	}
	if want := hashPassword([4]byte(raw[:4]), password); subtle.ConstantTimeCompare([]byte(want), []byte(hash)) != 1 {
		return errors.New("password hash does not match the password")
	}
	return nil
}

func readDefinitions(t *testing.T) definitions {
	t.Helper()
	text, err := os.ReadFile(definitionsFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var d definitions
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", definitionsFile, err)
	}
	return d
}

// grantedUsers returns the users of perms in order of first appearance.
func grantedUsers(perms []permission) []string {
	var out []string
	for _, p := range perms {
		if !slices.Contains(out, p.User) {
			out = append(out, p.User)
		}
	}
	return out
}

// operatorPermissions are guest's: everything, in every virtual host.
func operatorPermissions(vhosts []string) []permission {
	out := make([]permission, 0, len(vhosts))
	for _, v := range vhosts {
		out = append(out, permission{User: operator, Vhost: v, Configure: ".*", Write: ".*", Read: ".*"})
	}
	return out
}

// wantDefinitions builds the definitions of scripts/broker-users.sh --dev from
// its grants, keeping the hash of every user in old that still verifies (a
// fresh salt otherwise), so that an update changes only what has to change.
func wantDefinitions(perms []permission, topics []topicPermission, old definitions) (definitions, error) {
	var d definitions
	var vhosts []string
	for _, p := range perms {
		if !slices.Contains(vhosts, p.Vhost) {
			vhosts = append(vhosts, p.Vhost)
			d.Vhosts = append(d.Vhosts, vhostDef{Name: p.Vhost})
		}
	}
	for _, name := range append(grantedUsers(perms), operator) {
		u := brokerUser{Name: name, HashingAlgorithm: sha256Hashing, Tags: []string{}}
		if name == operator {
			u.Tags = []string{"administrator"}
		}
		if i := slices.IndexFunc(old.Users, func(o brokerUser) bool { return o.Name == name }); i >= 0 &&
			verifyPassword(old.Users[i].PasswordHash, devPassword(name)) == nil {
			u.PasswordHash = old.Users[i].PasswordHash
		} else {
			var salt [4]byte
			if _, err := rand.Read(salt[:]); err != nil {
				return definitions{}, fmt.Errorf("salt: %w", err)
			}
			u.PasswordHash = hashPassword(salt, devPassword(name))
		}
		d.Users = append(d.Users, u)
	}
	d.Permissions = append(slices.Clone(perms), operatorPermissions(vhosts)...)
	d.TopicPermissions = slices.Clone(topics)
	return d, nil
}

func writeDefinitions(d definitions) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("encode definitions: %w", err)
	}
	return os.WriteFile(definitionsFile, b.Bytes(), 0o644)
}

// diffSets reports the elements of want missing from got and of got not in want.
func diffSets[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: missing %s %+v", definitionsFile, what, w)
		}
	}
	for i, g := range got {
		switch {
		case !slices.Contains(want, g):
			t.Errorf("%s: %s %+v is not one of scripts/broker-users.sh --dev", definitionsFile, what, g)
		case slices.Index(got, g) != i:
			t.Errorf("%s: %s %+v is listed twice", definitionsFile, what, g)
		}
	}
}

// TestBrokerDefinitions checks that the local broker of docker-compose.yml
// (deploy/rabbitmq/definitions.json) is given exactly what
// scripts/broker-users.sh --dev gives a broker: its virtual hosts, its users
// with their development passwords, their permissions and topic permissions,
// and guest for operators. `go test -run TestBrokerDefinitions -update`
// rewrites the file after a change to the script.
func TestBrokerDefinitions(t *testing.T) {
	perms, topics := brokerGrants(t)
	policies := brokerPolicies(t)
	if *update {
		var old definitions
		if _, err := os.Stat(definitionsFile); err == nil {
			old = readDefinitions(t)
		}
		d, err := wantDefinitions(perms, topics, old)
		if err != nil {
			t.Fatal(err)
		}
		d.Policies = policies
		if err := writeDefinitions(d); err != nil {
			t.Fatal(err)
		}
	}
	d := readDefinitions(t)

	var vhosts []string
	for _, p := range perms {
		if !slices.Contains(vhosts, p.Vhost) {
			vhosts = append(vhosts, p.Vhost)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(vhosts)), []string{publicVhost, internalVhost}) {
		t.Fatalf("%s --print grants on virtual hosts %q, want %q and %q", brokerUsersScript, vhosts, publicVhost, internalVhost)
	}
	var gotVhosts []string
	for _, v := range d.Vhosts {
		gotVhosts = append(gotVhosts, v.Name)
	}
	diffSets(t, "virtual host", gotVhosts, vhosts)

	wantUsers := append(grantedUsers(perms), operator)
	var gotUsers []string
	for _, u := range d.Users {
		gotUsers = append(gotUsers, u.Name)
		if u.HashingAlgorithm != sha256Hashing {
			t.Errorf("%s: user %s: hashing_algorithm %q, want %s", definitionsFile, u.Name, u.HashingAlgorithm, sha256Hashing)
		}
		if err := verifyPassword(u.PasswordHash, devPassword(u.Name)); err != nil {
			t.Errorf("%s: user %s: %v (development password %q)", definitionsFile, u.Name, err, devPassword(u.Name))
		}
		// Only the operator may use the management UI and HTTP API.
		wantTags := []string{}
		if u.Name == operator {
			wantTags = []string{"administrator"}
		}
		if !slices.Equal(u.Tags, wantTags) {
			t.Errorf("%s: user %s: tags %q, want %q", definitionsFile, u.Name, u.Tags, wantTags)
		}
	}
	diffSets(t, "user", gotUsers, wantUsers)
	diffSets(t, "permission", d.Permissions, append(slices.Clone(perms), operatorPermissions(vhosts)...))
	diffSets(t, "topic permission", d.TopicPermissions, topics)
	diffSets(t, "policy", policyLines(d.Policies), policyLines(policies))
}

func TestPasswordHashing(t *testing.T) {
	// Made by RabbitMQ 3.10: rabbitmqctl eval 'base64:encode(rabbit_password:hash(
	// rabbit_password_hashing_sha256, <<"business">>)).'
	const business = "4w3hl4ByIe01tuANmEXVxOkTFGuBNQxHgIMx52g0lfjeGi7m"
	tests := []struct {
		name, hash, password string
		ok                   bool
	}{
		{"rabbitmq's own", business, "business", true},
		{"wrong password", business, "Business", false},
		{"ours", hashPassword([4]byte{1, 2, 3, 4}, "topup"), "topup", true},
		{"not base64", "not base64!", "topup", false},
		{"too short", base64.StdEncoding.EncodeToString([]byte("salt")), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verifyPassword(tt.hash, tt.password); (err == nil) != tt.ok {
				t.Errorf("verifyPassword = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
