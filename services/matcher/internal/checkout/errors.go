package checkout

import (
	"encoding/json"
	"net/http"
)

// apiError is an error the checkout answers with no return to carry it: a
// JSON body {"error": code, "message": text} with its HTTP status. Every
// such error is in this table (proto/openapi.yaml lists them).
type apiError struct {
	status int
	code   string
}

var (
	errInvalidJSON      = apiError{http.StatusBadRequest, "invalid_json"}
	errInvalidRequestID = apiError{http.StatusBadRequest, "invalid_request_id"}
	errNotFound         = apiError{http.StatusNotFound, "not_found"}
	errMethod           = apiError{http.StatusMethodNotAllowed, "method_not_allowed"}
	errTooLarge         = apiError{http.StatusRequestEntityTooLarge, "body_too_large"}
	errMediaType        = apiError{http.StatusUnsupportedMediaType, "unsupported_media_type"}
	errRateLimited      = apiError{http.StatusTooManyRequests, "rate_limited"}
	errInternal         = apiError{http.StatusInternalServerError, "internal_error"}
)

// errorBody is the body of an apiError.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeAPIError answers e with message.
func writeAPIError(w http.ResponseWriter, e apiError, message string) {
	body, _ := json.Marshal(errorBody{Error: e.code, Message: message})
	writeJSON(w, e.status, body)
}

// writeJSON answers status with body, a JSON document.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
