// Package proto holds the machine-readable public contract of the suite: one JSON
// Schema per request and return message, and a validator that checks messages
// against them.
package proto

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFiles is read-only: embed.FS cannot be modified after compilation.
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// BaseURL is the prefix of every schema's $id; a schema's $id is BaseURL + file name.
const BaseURL = "https://paysuite.example/schemas/v1/"

// commonSchema holds shared definitions only; it describes no message.
const commonSchema = "common"

// Names of the message schemas, as accepted by Validator.Validate.
const (
	TopupRequest            = "topup.request"
	TopupReturnRegistered   = "topup.return.registered"
	TopupReturnDeposit      = "topup.return.deposit"
	WithdrawRequest         = "withdraw.request"
	WithdrawReturnSubmitted = "withdraw.return.submitted"
	WithdrawReturnWithdraw  = "withdraw.return.withdraw"
	PayRequest              = "pay.request"
	PayReturnSubmitted      = "pay.return.submitted"
	PayReturnPay            = "pay.return.pay"
	OrderRequest            = "order.request"
	OrderReturnCreated      = "order.return.created"
	OrderReturnPaid         = "order.return.paid"
	OrderReturnExpired      = "order.return.expired"
	// ReturnRejected answers, on any flow's return queue, a message the suite
	// did not accept as a request.
	ReturnRejected = "return.rejected"
)

// ErrUnknownSchema is returned by Validate for a schema name that is not embedded.
var ErrUnknownSchema = errors.New("unknown schema")

// Validator validates messages against the embedded schemas. It is safe for
// concurrent use.
type Validator struct {
	schemas map[string]*jsonschema.Schema
}

// NewValidator compiles every embedded message schema once.
func NewValidator() (*Validator, error) {
	files, err := fs.Glob(schemaFiles, "schemas/*.json")
	if err != nil {
		return nil, fmt.Errorf("list schemas: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// Formats are annotations only in draft 2020-12 by default; callback_url relies
	// on "uri" being checked.
	c.AssertFormat()
	for _, file := range files {
		raw, err := schemaFiles.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", file, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("parse schema %s: %w", file, err)
		}
		if err := c.AddResource(BaseURL+path.Base(file), doc); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", file, err)
		}
	}
	v := &Validator{schemas: make(map[string]*jsonschema.Schema, len(files))}
	for _, name := range names(files) {
		sch, err := c.Compile(BaseURL + name + ".json")
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", name, err)
		}
		v.schemas[name] = sch
	}
	return v, nil
}

// Validate checks that body is one JSON value that satisfies the named schema, e.g.
// "topup.return.deposit". Numbers are compared exactly, never through a float.
func (v *Validator) Validate(schema string, body []byte) error {
	sch, ok := v.schemas[schema]
	if !ok {
		return fmt.Errorf("validate %q: %w", schema, ErrUnknownSchema)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("validate %s: parse message: %w", schema, err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("validate %s: %w", schema, err)
	}
	return nil
}

// SchemaNames lists the message schemas, sorted; common.json, which only holds
// shared definitions, is not among them.
func SchemaNames() []string {
	files, err := fs.Glob(schemaFiles, "schemas/*.json")
	if err != nil {
		// Glob fails only on a malformed pattern, and the pattern is constant.
		return nil
	}
	return names(files)
}

// names turns embedded file paths into sorted message schema names.
func names(files []string) []string {
	out := make([]string, 0, len(files))
	for _, file := range files {
		name := strings.TrimSuffix(path.Base(file), ".json")
		if name != commonSchema {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Schema returns the raw bytes of an embedded schema file by name ("common" for the
// shared definitions), for serving or publishing the contract.
func Schema(name string) ([]byte, error) {
	raw, err := schemaFiles.ReadFile("schemas/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("schema %q: %w", name, ErrUnknownSchema)
	}
	return raw, nil
}
