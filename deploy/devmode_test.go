package deploy

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"
)

// requiredSecrets are the secrets the Compose files require of every service
// that reads them, in the development mode too.
var requiredSecrets = []string{"SIGN_SECRET", "INTERNAL_SECRET", "WEBHOOK_SECRET"}

// devSecrets name the constants of the services' own development secrets,
// which the opt-in must use: payctl and the receivers of webhooks in
// development sign and verify with them.
var devSecrets = map[string]struct{ pkg, name string }{
	"SIGN_SECRET":     {"paysuite/pkg/config", "DevSecret"},
	"INTERNAL_SECRET": {"paysuite/pkg/config", "DevInternalSecret"},
	"WEBHOOK_SECRET":  {"paysuite/services/notifier/internal/config", "DevWebhookSecret"},
}

// devEnv is the development opt-in of docker-compose.yml (deploy/compose.dev.env).
func devEnv(t *testing.T) map[string]string {
	t.Helper()
	return readAssignments(t, composeDev)
}

// TestComposeDevModeOffByDefault checks that the development mode is on only
// when asked for: .env.example says false, every service gets false when
// DEV_MODE is not set, and no service's own default is true.
func TestComposeDevModeOffByDefault(t *testing.T) {
	if got := readAssignments(t, envExample)["DEV_MODE"]; got != "false" {
		t.Errorf("%s: DEV_MODE=%q, want false", envExample, got)
	}
	cfgs := loadConfigs(t)
	vars := devEnv(t)
	delete(vars, "DEV_MODE")
	p := mustLoad(t, []string{composeFile}, vars, monitoringProfile)
	checked := 0
	for _, name := range slices.Sorted(maps.Keys(cfgs)) {
		v, ok := cfgs[name].Vars["DEV_MODE"]
		if !ok {
			continue
		}
		checked++
		if got := env(p.Services[name], "DEV_MODE"); got != "false" {
			t.Errorf("%s: DEV_MODE=%q when it is not set, want false", name, got)
		}
		if v.HasDefault && v.Default != "false" {
			t.Errorf("%s: %s defaults DEV_MODE to %q, want false", name, cfgs[name].Root, v.Default)
		}
	}
	if checked == 0 {
		t.Fatal("no service reads DEV_MODE; the configuration reader found none")
	}
}

// TestComposeDevOptIn checks deploy/compose.dev.env, the development opt-in: it
// turns the development mode on and sets exactly what docker-compose.yml
// requires (without any one of them the load fails naming it; with them all
// it succeeds, as TestComposeLocalStack shows), only variables .env.example
// documents, with the services' own development secrets.
func TestComposeDevOptIn(t *testing.T) {
	vars := devEnv(t)
	if vars["DEV_MODE"] != "true" {
		t.Errorf("%s: DEV_MODE=%q, want true", composeDev, vars["DEV_MODE"])
	}
	listed := readAssignments(t, envExample)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if _, ok := listed[k]; !ok {
			t.Errorf("%s sets %s, which %s does not list", composeDev, k, envExample)
		}
		if k == "DEV_MODE" {
			continue
		}
		without := maps.Clone(vars)
		delete(without, k)
		if _, err := load(t.Context(), []string{composeFile}, without); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s sets %s, which %s does not require: load without it gave %v", composeDev, k, composeFile, err)
		}
	}
	for _, k := range requiredSecrets {
		if _, ok := vars[k]; !ok {
			t.Errorf("%s does not set %s", composeDev, k)
		}
	}

	r, err := newConfigReader(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for key, c := range devSecrets {
		want, err := r.stringConst(c.pkg, c.name)
		if err != nil {
			t.Fatal(err)
		}
		if vars[key] != want {
			t.Errorf("%s: %s=%q, want %s.%s, %q", composeDev, key, vars[key], c.pkg, c.name, want)
		}
	}
	// Standard Webhooks' form, the only one the notifier accepts.
	secret, ok := strings.CutPrefix(vars["WEBHOOK_SECRET"], "whsec_")
	if raw, err := base64.StdEncoding.DecodeString(secret); !ok || err != nil || len(raw) == 0 {
		t.Errorf("%s: WEBHOOK_SECRET=%q, want whsec_ followed by base64", composeDev, vars["WEBHOOK_SECRET"])
	}
}
