package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// configVar is one environment variable that a service's configuration reads,
// as declared by the `env` struct tags of its configuration type.
type configVar struct {
	Name       string
	Default    string
	HasDefault bool
	// Required is set by the tag options required or notEmpty.
	Required bool
	// DevOptional: Validate refuses it empty unless DEV_MODE=true.
	DevOptional bool
	// PerChain: a setting of each chain of CHAINS, read as
	// CHAIN_<NAME>_<Name> (onchain.Chains reads them at run time); Name is the
	// part after the chain's name.
	PerChain bool
}

// chainVarPrefix is how a per-chain variable's name starts (onchain.Prefix).
const chainVarPrefix = "CHAIN_"

// chainsType is the configuration block whose list of chains reads the
// per-chain variables: each chain of CHAINS is read as a chainType.
const (
	chainsPkg  = "pkg/config/onchain"
	chainsType = "Chains"
	chainType  = "Chain"
)

// serviceConfig is what a service binary reads from its environment.
type serviceConfig struct {
	// Root names the configuration type, e.g. paysuite/services/topup/internal/config.Config.
	Root string
	Vars map[string]*configVar
}

// Reads reports whether the configuration reads key: one of its variables,
// or a per-chain one (CHAIN_<NAME>_RPC_URL, ...) when it holds a chain list.
func (c serviceConfig) Reads(key string) bool {
	if _, ok := c.Vars[key]; ok {
		return true
	}
	if !strings.HasPrefix(key, chainVarPrefix) {
		return false
	}
	for _, v := range c.Vars {
		if v.PerChain && strings.HasSuffix(key, "_"+v.Name) && len(key) > len(chainVarPrefix)+len(v.Name)+1 {
			return true
		}
	}
	return false
}

// Sorted returns the variables ordered by name.
func (c serviceConfig) Sorted() []*configVar {
	out := make([]*configVar, 0, len(c.Vars))
	for _, v := range c.Vars {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *configVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// configReader reads configuration types from the workspace's source with
// go/parser, the way caarlos0/env reads them at run time: `env` tags name the
// variables, `envDefault` gives defaults, nested structs without a tag are
// followed (with their `envPrefix`), and `env:"-"` is skipped. Reading the
// source keeps the deployment checks in step with the code without a table.
type configReader struct {
	root    string            // repository root
	modules map[string]string // module path -> directory
	fset    *token.FileSet
	pkgs    map[string]*parsedPkg // directory -> package
}

type parsedPkg struct {
	dir   string
	name  string
	files []*ast.File
}

// typeRef names a struct type of the workspace.
type typeRef struct {
	pkg  *parsedPkg
	name string
}

var useLine = regexp.MustCompile(`^\s*(?:use\s+)?(\./[^\s)]*|\.)\s*$`)
var moduleLine = regexp.MustCompile(`(?m)^module\s+(\S+)`)

// newConfigReader indexes the modules listed in the workspace's go.work.
func newConfigReader(root string) (*configReader, error) {
	work, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, fmt.Errorf("read go.work: %w", err)
	}
	r := &configReader{root: root, modules: map[string]string{}, fset: token.NewFileSet(), pkgs: map[string]*parsedPkg{}}
	for line := range strings.Lines(string(work)) {
		m := useLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		dir := filepath.Join(root, m[1])
		gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", m[1], err)
		}
		mm := moduleLine.FindSubmatch(gomod)
		if mm == nil {
			return nil, fmt.Errorf("%s/go.mod has no module line", m[1])
		}
		r.modules[string(mm[1])] = dir
	}
	if len(r.modules) == 0 {
		return nil, fmt.Errorf("go.work lists no modules")
	}
	return r, nil
}

// dirOf maps an import path of the workspace to its directory; ok is false for
// packages outside it, whose types are never followed.
func (r *configReader) dirOf(importPath string) (string, bool) {
	best := ""
	for mod := range r.modules {
		if (importPath == mod || strings.HasPrefix(importPath, mod+"/")) && len(mod) > len(best) {
			best = mod
		}
	}
	if best == "" {
		return "", false
	}
	return filepath.Join(r.modules[best], filepath.FromSlash(strings.TrimPrefix(importPath, best))), true
}

// pkg parses the non-test Go files of dir once.
func (r *configReader) pkg(dir string) (*parsedPkg, error) {
	if p, ok := r.pkgs[dir]; ok {
		return p, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", dir, err)
	}
	p := &parsedPkg{dir: dir}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(r.fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", e.Name(), err)
		}
		p.name = f.Name.Name
		p.files = append(p.files, f)
	}
	if len(p.files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	r.pkgs[dir] = p
	return p, nil
}

// specs yields every spec of the tok declarations (type, const, ...) of p, with its file.
func (p *parsedPkg) specs(tok token.Token) iter.Seq2[ast.Spec, *ast.File] {
	return func(yield func(ast.Spec, *ast.File) bool) {
		for _, f := range p.files {
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != tok {
					continue
				}
				for _, s := range gd.Specs {
					if !yield(s, f) {
						return
					}
				}
			}
		}
	}
}

// structType finds the struct type name declared in p.
func (p *parsedPkg) structType(name string) (*ast.StructType, *ast.File) {
	for s, f := range p.specs(token.TYPE) {
		ts := s.(*ast.TypeSpec)
		if ts.Name.Name != name {
			continue
		}
		if st, ok := ts.Type.(*ast.StructType); ok {
			return st, f
		}
		return nil, f
	}
	return nil, nil
}

// resolve turns a type expression written in file f of package p into a
// struct type of the workspace; ok is false for anything else (builtins,
// outside packages, non-struct types).
func (r *configReader) resolve(p *parsedPkg, f *ast.File, expr ast.Expr) (typeRef, bool, error) {
	for {
		star, ok := expr.(*ast.StarExpr)
		if !ok {
			break
		}
		expr = star.X
	}
	switch e := expr.(type) {
	case *ast.Ident:
		if st, _ := p.structType(e.Name); st != nil {
			return typeRef{pkg: p, name: e.Name}, true, nil
		}
		return typeRef{}, false, nil
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return typeRef{}, false, nil
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			dir, inside := r.dirOf(path)
			if imp.Name != nil && imp.Name.Name != x.Name {
				continue
			}
			if imp.Name == nil && !inside && filepath.Base(path) != x.Name {
				continue
			}
			if !inside {
				return typeRef{}, false, nil
			}
			target, err := r.pkg(dir)
			if err != nil {
				return typeRef{}, false, err
			}
			if imp.Name == nil && target.name != x.Name {
				continue
			}
			if st, _ := target.structType(e.Sel.Name); st != nil {
				return typeRef{pkg: target, name: e.Sel.Name}, true, nil
			}
			return typeRef{}, false, nil
		}
		// An outside package whose name differs from its path's last element
		// (github.com/caarlos0/env/v11): not followed either.
		return typeRef{}, false, nil
	}
	return typeRef{}, false, nil
}

// read collects the variables of the struct type t and of the structs nested
// in it, with prefix before each name, and remembers the types it visited. A
// type nested twice under different prefixes (two keystore.Files) is read
// under each.
func (r *configReader) read(t typeRef, prefix string, out map[string]*configVar, visited map[typeRef]bool) error {
	if visited[t] && prefix == "" {
		return nil
	}
	visited[t] = true
	if t.name == chainsType && strings.HasSuffix(filepath.ToSlash(t.pkg.dir), chainsPkg) {
		if err := r.readPerChain(typeRef{pkg: t.pkg, name: chainType}, out); err != nil {
			return err
		}
	}
	st, f := t.pkg.structType(t.name)
	for _, field := range st.Fields.List {
		var tag reflect.StructTag
		if field.Tag != nil {
			raw, err := strconv.Unquote(field.Tag.Value)
			if err != nil {
				return fmt.Errorf("%s.%s: tag %s: %w", t.pkg.dir, t.name, field.Tag.Value, err)
			}
			tag = reflect.StructTag(raw)
		}
		exported := len(field.Names) == 0 || slices.ContainsFunc(field.Names, func(n *ast.Ident) bool { return n.IsExported() })
		if !exported {
			continue
		}
		envTag, hasEnv := tag.Lookup("env")
		name, opts, _ := strings.Cut(envTag, ",")
		if name == "-" {
			continue
		}
		if hasEnv && name != "" {
			key := prefix + name
			v := out[key]
			if v == nil {
				v = &configVar{Name: key}
				out[key] = v
			}
			// Two fields may read one variable (db.Config's schema and the
			// service's own); a default on either is the default.
			if def, ok := tag.Lookup("envDefault"); ok && !v.HasDefault {
				v.Default, v.HasDefault = def, true
			}
			for o := range strings.SplitSeq(opts, ",") {
				if o == "required" || o == "notEmpty" {
					v.Required = true
				}
			}
			continue
		}
		nested, ok, err := r.resolve(t.pkg, f, field.Type)
		if err != nil {
			return err
		}
		if ok {
			if err := r.read(nested, prefix+tag.Get("envPrefix"), out, visited); err != nil {
				return err
			}
		}
	}
	return nil
}

// devOptional finds the variables that the methods of the visited types
// refuse when empty outside the development mode: the calls
// VarError("NAME", "required unless DEV_MODE=true").
func (r *configReader) devOptional(visited map[typeRef]bool) map[string]bool {
	out := map[string]bool{}
	for t := range visited {
		for _, f := range t.pkg.files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || fn.Body == nil || receiverName(fn) != t.name {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) < 2 || calleeName(call) != "VarError" {
						return true
					}
					name, ok1 := stringLit(call.Args[0])
					msg, ok2 := stringLit(call.Args[1])
					if ok1 && ok2 && strings.Contains(msg, "required unless DEV_MODE") {
						out[name] = true
					}
					return true
				})
			}
		}
	}
	return out
}

func receiverName(fn *ast.FuncDecl) string {
	expr := fn.Recv.List[0].Type
	if star, ok := expr.(*ast.StarExpr); ok {
		expr = star.X
	}
	if id, ok := expr.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func calleeName(call *ast.CallExpr) string {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// stringConst reads the value of the string constant name of a workspace
// package: the development secrets of pkg/config, for instance.
func (r *configReader) stringConst(importPath, name string) (string, error) {
	dir, ok := r.dirOf(importPath)
	if !ok {
		return "", fmt.Errorf("%s is not a package of the workspace", importPath)
	}
	p, err := r.pkg(dir)
	if err != nil {
		return "", err
	}
	for spec := range p.specs(token.CONST) {
		vs := spec.(*ast.ValueSpec)
		for i, id := range vs.Names {
			if id.Name != name || i >= len(vs.Values) {
				continue
			}
			if v, ok := stringLit(vs.Values[i]); ok {
				return v, nil
			}
			return "", fmt.Errorf("%s.%s is not a string literal", importPath, name)
		}
	}
	return "", fmt.Errorf("%s.%s not found", importPath, name)
}

// configType finds the configuration type a service's main.go loads: the type
// argument of its call to config.Load[T] or service.Main[T].
func (r *configReader) configType(service string) (typeRef, error) {
	dir := filepath.Join(r.root, "services", service)
	p, err := r.pkg(dir)
	if err != nil {
		return typeRef{}, err
	}
	var found []typeRef
	var resolveErr error
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			var fun, arg ast.Expr
			switch ix := n.(type) {
			case *ast.IndexExpr:
				fun, arg = ix.X, ix.Index
			case *ast.IndexListExpr:
				fun, arg = ix.X, ix.Indices[0]
			default:
				return true
			}
			sel, ok := fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Load" && sel.Sel.Name != "Main") {
				return true
			}
			t, ok, err := r.resolve(p, f, arg)
			if err != nil {
				resolveErr = err
			} else if ok && !slices.Contains(found, t) {
				found = append(found, t)
			}
			return true
		})
	}
	if resolveErr != nil {
		return typeRef{}, resolveErr
	}
	if len(found) != 1 {
		return typeRef{}, fmt.Errorf("services/%s: want one configuration type loaded with config.Load[T] or service.Main[T], found %d", service, len(found))
	}
	return found[0], nil
}

// serviceConfig reads everything service's binary reads from its environment.
func (r *configReader) serviceConfig(service string) (serviceConfig, error) {
	t, err := r.configType(service)
	if err != nil {
		return serviceConfig{}, err
	}
	vars := map[string]*configVar{}
	visited := map[typeRef]bool{}
	if err := r.read(t, "", vars, visited); err != nil {
		return serviceConfig{}, err
	}
	if err := r.readChainSettings(visited, vars); err != nil {
		return serviceConfig{}, err
	}
	for name := range r.devOptional(visited) {
		if v, ok := vars[name]; ok {
			v.DevOptional = true
		}
	}
	rel, _ := filepath.Rel(r.root, t.pkg.dir)
	return serviceConfig{Root: filepath.ToSlash(rel) + "." + t.name, Vars: vars}, nil
}

// serviceConfigs reads the configuration of every named service, failing the
// test on any error.
func serviceConfigs(t *testing.T, services []string) map[string]serviceConfig {
	t.Helper()
	r, err := newConfigReader(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]serviceConfig{}
	for _, s := range services {
		cfg, err := r.serviceConfig(s)
		if err != nil {
			t.Fatalf("read the configuration of %s: %v", s, err)
		}
		out[s] = cfg
	}
	return out
}

// serviceBinaries lists the directories of services/ that hold a main.go.
func serviceBinaries(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(repoRoot, "services", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range matches {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	slices.Sort(out)
	return out
}

// TestConfigReaderReadsKnownSettings pins the reader on settings whose shape
// is known, so that a reader that silently finds nothing cannot pass the
// deployment checks.
func TestConfigReaderReadsKnownSettings(t *testing.T) {
	cfgs := serviceConfigs(t, []string{"topup", "devchain", "chain-listener", "notifier", "pay"})
	tests := []struct {
		service, name string
		hasDefault    bool
		def           string
		devOptional   bool
	}{
		// Nested struct of another module (pkg/db), reached through a field.
		{"topup", "MYSQL_DSN", true, "root:@tcp(127.0.0.1:3306)/", false},
		// Read by two fields; the service's own one has the default.
		{"topup", "MYSQL_SCHEMA", true, "paysuite_topup", false},
		// Embedded struct (config.Common) and its Validate.
		{"topup", "SIGN_SECRET", false, "", true},
		{"topup", "TOPUP_XPUB", false, "", true},
		// config.Common's, required outside the development mode.
		{"topup", "INTERNAL_SECRET", false, "", true},
		{"chain-listener", "INTERNAL_SECRET", false, "", true},
		{"topup", "INTERNAL_SECRET_PREVIOUS", false, "", false},
		// broker.Config's, empty meaning AMQP_URL in the internal virtual host.
		{"topup", "AMQP_INTERNAL_URL", false, "", false},
		// Struct nested two levels deep (Common.Log).
		{"chain-listener", "LOG_LEVEL", true, "info", false},
		// A type declared in package main, loaded with config.Load.
		{"devchain", "DEVCHAIN_HTTP_ADDR", true, "127.0.0.1:8545", false},
		// A chain's settings that a service reads itself under the chain's
		// prefix (pay's sweeping).
		{"pay", chainVarPrefix + "<NAME>_SWEEP_INTERVAL", true, "5m", false},
	}
	for _, tt := range tests {
		v, ok := cfgs[tt.service].Vars[tt.name]
		if !ok {
			t.Errorf("%s: %s not found among %d variables", tt.service, tt.name, len(cfgs[tt.service].Vars))
			continue
		}
		if v.HasDefault != tt.hasDefault || v.Default != tt.def || v.DevOptional != tt.devOptional {
			t.Errorf("%s: %s = %+v, want default %v %q, dev-optional %v", tt.service, tt.name, *v, tt.hasDefault, tt.def, tt.devOptional)
		}
	}
	if _, ok := cfgs["devchain"].Vars["DEV_MODE"]; ok {
		t.Error("devchain: DEV_MODE found, but devchain's configuration does not embed config.Common")
	}
	if !cfgs["pay"].Reads("CHAIN_BSC_COLLECTION_WALLET") || cfgs["topup"].Reads("CHAIN_BSC_COLLECTION_WALLET") {
		t.Error("CHAIN_BSC_COLLECTION_WALLET: want it read by pay only")
	}
	if _, ok := cfgs["notifier"].Vars["ETH_RPC_URL"]; ok {
		t.Error("notifier: ETH_RPC_URL found, but the notifier does not talk to the chain")
	}
}

// readPerChain adds the variables of the chain type t, each read per chain of
// CHAINS under its own prefix, as PerChain variables named by their tag.
func (r *configReader) readPerChain(t typeRef, out map[string]*configVar) error {
	chain := map[string]*configVar{}
	if err := r.read(t, "", chain, map[typeRef]bool{}); err != nil {
		return err
	}
	for name, v := range chain {
		v.PerChain = true
		out[chainVarPrefix+"<NAME>_"+name] = v
		v.Name = name
	}
	return nil
}

// readChainSettings adds the variables of the settings types that the
// visited packages read themselves, per chain: a function that calls
// onchain.Prefix and env.ParseWithOptions(&v, ...) on a variable declared
// `var v T` reads T's variables under CHAIN_<NAME>_ (pay's sweeping).
func (r *configReader) readChainSettings(visited map[typeRef]bool, out map[string]*configVar) error {
	seen := map[*parsedPkg]bool{}
	for t := range visited {
		if seen[t.pkg] {
			continue
		}
		seen[t.pkg] = true
		for _, f := range t.pkg.files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				declared := map[string]ast.Expr{} // variable -> its type
				prefixed := false
				var parsed []string
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.ValueSpec:
						for _, id := range n.Names {
							if n.Type != nil {
								declared[id.Name] = n.Type
							}
						}
					case *ast.CallExpr:
						switch calleeName(n) {
						case "Prefix":
							prefixed = true
						case "ParseWithOptions":
							if len(n.Args) == 0 {
								break
							}
							if u, ok := n.Args[0].(*ast.UnaryExpr); ok && u.Op == token.AND {
								if id, ok := u.X.(*ast.Ident); ok {
									parsed = append(parsed, id.Name)
								}
							}
						}
					}
					return true
				})
				for _, v := range parsed {
					if !prefixed || declared[v] == nil {
						continue
					}
					ref, ok, err := r.resolve(t.pkg, f, declared[v])
					if err != nil {
						return err
					}
					if ok {
						if err := r.readPerChain(ref, out); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}
