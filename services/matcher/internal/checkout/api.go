package checkout

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
	"paysuite/services/matcher/internal/requests"
)

// statusOf is the HTTP status of each way a request is answered.
var statusOf = map[requests.Outcome]int{
	requests.Opened:   http.StatusCreated,
	requests.Repeated: http.StatusOK,
	requests.Refused:  http.StatusUnprocessableEntity,
	requests.Rejected: http.StatusUnauthorized,
}

// orders serves /v1/orders: POST creates an order.
func (s *Server) orders(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeAPIError(w, errMethod, "use POST to create an order")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeAPIError(w, errMediaType, "the body must be application/json")
		return
	}
	if r.ContentLength > s.maxBody {
		writeAPIError(w, errTooLarge, "the body is larger than the limit")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeAPIError(w, errTooLarge, "the body is larger than the limit")
		return
	case err != nil:
		writeAPIError(w, errInvalidJSON, "the body could not be read")
		return
	}
	answer, err := s.requests.Submit(r.Context(), body)
	var unreadable requests.Unreadable
	switch {
	case errors.As(err, &unreadable):
		if _, perr := sign.ParseFields(body); perr != nil {
			writeAPIError(w, errInvalidJSON, "the body is not a JSON object")
		} else {
			writeAPIError(w, errInvalidRequestID, "request_id is missing or not 1-64 characters of [A-Za-z0-9_.:-]")
		}
		return
	case err != nil:
		s.log.Error().Err(err).Msg("order request over HTTP failed")
		writeAPIError(w, errInternal, "the order could not be processed; retry with the same request_id")
		return
	}
	status := statusOf[answer.Outcome]
	if answer.Outcome == requests.Rejected && answer.Code == contract.ErrInvalidRequest {
		// A return sent back as a request: no authentication would make it one.
		status = http.StatusBadRequest
	}
	writeJSON(w, status, answer.Body)
}

// order serves /v1/orders/{request_id}: GET answers the order's current
// view, sealed like a return.
func (s *Server) order(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeAPIError(w, errMethod, "use GET to read an order")
		return
	}
	id := r.PathValue("request_id")
	if !contract.ValidRequestID(id) {
		writeAPIError(w, errNotFound, "no order has this request_id")
		return
	}
	v, err := s.viewByRequestID(r.Context(), id)
	if err != nil {
		s.log.Error().Err(err).Str("request_id", id).Msg("order view failed")
		writeAPIError(w, errInternal, "the order could not be read")
		return
	}
	if v == nil {
		writeAPIError(w, errNotFound, "no order has this request_id")
		return
	}
	body, err := s.sealer.Seal(sealedView{Event: EventOrder, Status: v.status(), View: v})
	if err != nil {
		s.log.Error().Err(err).Str("request_id", id).Msg("seal order view")
		writeAPIError(w, errInternal, "the order could not be read")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// EventOrder is the event of an order's sealed view.
const EventOrder = "order"

// sealedView is the view as GET /v1/orders answers it, signed with the
// suite's secret. Like every return it carries event and status, which the
// gate refuses in a request: a signed view must never be usable as one.
type sealedView struct {
	Event  string `json:"event"`
	Status int    `json:"status"`
	*View
}

// status is the view's state as a return's status: 1 paid, 0 expired
// unpaid, 2 while the order waits (waiting, seen, partial).
func (v *View) status() int {
	switch v.State {
	case StatePaid:
		return contract.StatusSuccess
	case StateExpired:
		return contract.StatusFailed
	}
	return contract.StatusPending
}
