package proto_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"paysuite/proto"
)

// loadOpenAPI loads openapi.yaml and checks it is a valid OpenAPI document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestOpenAPI: openapi.yaml is valid and documents the checkout's routes
// (contract section 8) with a JSON answer for every status.
func TestOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	for path, method := range map[string]string{"/v1/orders": "POST", "/v1/orders/{request_id}": "GET"} {
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Fatalf("%s %s is not documented", method, path)
		}
		for status, resp := range item.GetOperation(method).Responses.Map() {
			if resp.Value == nil || resp.Value.Content.Get("application/json") == nil {
				t.Errorf("%s %s: response %s has no JSON body", method, path, status)
			}
		}
	}
}

// TestOpenAPIMirrorsSchemas: the bodies openapi.yaml mirrors have the fields
// and required fields of their JSON Schemas, and accept those schemas' own
// examples.
func TestOpenAPIMirrorsSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for component, schema := range map[string]string{
		"OrderRequest": proto.OrderRequest, "OrderCreated": proto.OrderReturnCreated, "Rejected": proto.ReturnRejected,
	} {
		t.Run(component, func(t *testing.T) {
			ref := doc.Components.Schemas[component]
			if ref == nil || ref.Value == nil {
				t.Fatalf("no component %s", component)
			}
			raw, err := proto.Schema(schema)
			if err != nil {
				t.Fatal(err)
			}
			var js struct {
				Required   []string                   `json:"required"`
				Properties map[string]json.RawMessage `json:"properties"`
				Examples   []json.RawMessage          `json:"examples"`
			}
			if err := json.Unmarshal(raw, &js); err != nil {
				t.Fatal(err)
			}
			if got, want := slices.Sorted(maps.Keys(ref.Value.Properties)), slices.Sorted(maps.Keys(js.Properties)); !slices.Equal(got, want) {
				t.Errorf("fields %v, want those of %s: %v", got, schema, want)
			}
			if got, want := slices.Sorted(slices.Values(ref.Value.Required)), slices.Sorted(slices.Values(js.Required)); !slices.Equal(got, want) {
				t.Errorf("required %v, want those of %s: %v", got, schema, want)
			}
			for _, ex := range js.Examples {
				var v any
				if err := json.Unmarshal(ex, &v); err != nil {
					t.Fatal(err)
				}
				if err := ref.Value.VisitJSON(v); err != nil {
					t.Errorf("example %s of %s: %v", ex, schema, err)
				}
			}
		})
	}
}
