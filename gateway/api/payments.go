package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/idempotency"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/gateway/problem"
)

func (s *Server) routesPayments() {
	e := s.Echo
	e.POST("/v1/payments", s.createPayment, s.requireKey)
	e.GET("/v1/payments", s.listPayments, s.requireKey)
	e.GET("/v1/payments/:id", s.getPayment)
	e.POST("/v1/payments/:id/cancel", s.cancelPayment, s.requireKey)
	e.GET("/v1/payments/:id/stream", s.streamStatus)
}

// idempotencyKey reads the request's Idempotency-Key.
func idempotencyKey(c echo.Context, canonicalBody []byte, required bool) (idempotency.Key, error) {
	who := principal(c)
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" && required {
		return idempotency.Key{}, problem.New(http.StatusBadRequest, "idempotency_key_required", "send an Idempotency-Key header (a UUID works) so a retry cannot create a second payment")
	}
	if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return idempotency.Key{}, problem.New(http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters")
	}
	return idempotency.Key{PortalID: who.PortalID, Livemode: who.Livemode, Key: key, Method: c.Request().Method, Path: c.Request().URL.Path, Hash: idempotency.Hash(canonicalBody)}, nil
}

// respond sends a response produced (or replayed) under an idempotency key.
func respond(c echo.Context, status int, body []byte, replayed bool) error {
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return jsonBlob(c, status, body)
}

// idempotent runs work in a transaction guarded by the request's
// Idempotency-Key, storing its response, or replays the stored one.
func (s *Server) idempotent(c echo.Context, canonicalBody []byte, required bool, work func(tx pgx.Tx) (int, any, error)) error {
	k, err := idempotencyKey(c, canonicalBody, required)
	if err != nil {
		return err
	}
	var status int
	var body []byte
	var replayed bool
	err = pg.InTx(c.Request().Context(), s.deps.Pool, func(tx pgx.Tx) error {
		if k.Key != "" {
			stored, err := idempotency.Claim(c.Request().Context(), tx, k)
			if err != nil {
				return err
			}
			if stored != nil {
				status, body, replayed = stored.Status, stored.Body, stored.Replayed
				return nil
			}
		}
		code, v, err := work(tx)
		if err != nil {
			return err
		}
		if body, err = marshal(nil, v); err != nil {
			return err
		}
		status = code
		if k.Key == "" {
			return nil
		}
		return idempotency.Finish(c.Request().Context(), tx, k, status, body)
	})
	if err != nil {
		return err
	}
	return respond(c, status, body, replayed)
}

func (s *Server) createPayment(c echo.Context) error {
	var req payments.CreateRequest
	canon, bad, err := readJSON(c, &req)
	if err != nil {
		return err
	}
	now := s.now()
	if err := joinInvalid(bad, req.Validate(now)); err != nil {
		return err
	}
	k, err := idempotencyKey(c, canon, true)
	if err != nil {
		return err
	}
	var res *idempotency.Stored
	ctx := c.Request().Context()
	call := payments.Call{Key: k, Who: principal(c), Req: req, Now: now}
	err = pg.Retry(ctx, func() (err error) {
		if s.deps.Creator != nil {
			res, err = s.deps.Creator.Create(ctx, call)
		} else {
			res, err = payments.CreateOne(ctx, s.deps.Pool, call)
		}
		return err
	})
	if err != nil {
		return err
	}
	return respond(c, res.Status, res.Body, res.Replayed)
}

// getPayment serves both the portal (secret key) and its widget (client
// token, scoped to this one payment).
func (s *Server) getPayment(c echo.Context) error {
	ctx := c.Request().Context()
	if tok := bearer(c); strings.HasPrefix(tok, "ct_") {
		p, err := payments.GetWithClientToken(ctx, s.deps.Pool, c.Param("id"), tok, s.now())
		if err != nil {
			return err
		}
		v, err := s.widgetView(c, p)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, v)
	}
	return s.requireKey(func(c echo.Context) error {
		who := principal(c)
		p, err := s.get(ctx, who, c.Param("id"))
		if err != nil {
			return err
		}
		v := p.View()
		if err := s.expand(c, &v, p); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	})(c)
}

// get reads one of the portal's payments, batched with other reads when
// the gateway runs a Reader.
func (s *Server) get(ctx context.Context, who portals.Principal, id string) (payments.Payment, error) {
	if s.deps.Reader != nil {
		return s.deps.Reader.Get(ctx, who.PortalID, who.Livemode, id)
	}
	return payments.Get(ctx, s.deps.Pool, who.PortalID, who.Livemode, id)
}

// widgetView is what the browser may see: no client token echo, no
// metadata, agency and service expanded, and the methods on offer.
func (s *Server) widgetView(c echo.Context, p payments.Payment) (payments.View, error) {
	v := p.View()
	v.ClientToken, v.Metadata = "", nil
	if err := s.expandAll(c, &v, p); err != nil {
		return v, err
	}
	v.Methods = s.methods()
	return v, nil
}

func (s *Server) methods() []string {
	if s.deps.Methods != nil {
		return s.deps.Methods()
	}
	return []string{"bank_qr"}
}

func (s *Server) expand(c echo.Context, v *payments.View, p payments.Payment) error {
	for _, part := range strings.Split(c.QueryParam("expand"), ",") {
		switch strings.TrimSpace(part) {
		case "":
		case "agency":
			a, err := catalog.GetAgency(c.Request().Context(), s.deps.Pool, p.Agency)
			if err != nil {
				return err
			}
			v.Agency = a
		case "service":
			svc, err := catalog.GetService(c.Request().Context(), s.deps.Pool, p.Service)
			if err != nil {
				return err
			}
			v.Service = svc
		default:
			return invalid.Errors{{Name: "expand", Code: "invalid", Detail: "expand takes agency and/or service"}}
		}
	}
	return nil
}

func (s *Server) expandAll(c echo.Context, v *payments.View, p payments.Payment) error {
	a, err := catalog.GetAgency(c.Request().Context(), s.deps.Pool, p.Agency)
	if err != nil {
		return err
	}
	svc, err := catalog.GetService(c.Request().Context(), s.deps.Pool, p.Service)
	if err != nil {
		return err
	}
	v.Agency, v.Service = a, svc
	return nil
}

func (s *Server) cancelPayment(c echo.Context) error {
	who := principal(c)
	return s.idempotent(c, []byte(c.Param("id")), false, func(tx pgx.Tx) (int, any, error) {
		p, err := payments.Cancel(c.Request().Context(), tx, s.deps.Outbox, who.PortalID, who.Livemode, c.Param("id"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, p.View(), nil
	})
}

// listResponse is a page of a list endpoint.
type listResponse struct {
	Object            string  `json:"object"`
	Data              any     `json:"data"`
	HasMore           bool    `json:"has_more"`
	NextStartingAfter *string `json:"next_starting_after"`
}

func (s *Server) listPayments(c echo.Context) error {
	lp, err := parseListParams(c)
	if err != nil {
		return err
	}
	who := principal(c)
	list, more, err := payments.List(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, lp)
	if err != nil {
		return err
	}
	views := make([]payments.View, len(list))
	for i, p := range list {
		views[i] = p.View()
		views[i].ClientToken = ""
	}
	res := paymentPage{views: views, more: more}
	if more {
		res.next = &list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, res)
}

// paymentPage is the listResponse of GET /v1/payments, encoded without
// reflection (see payments.View.AppendJSON).
type paymentPage struct {
	views []payments.View
	more  bool
	next  *string
}

func (p paymentPage) MarshalJSON() ([]byte, error) {
	views := p.views
	if views == nil {
		views = []payments.View{} // the contract says an array, never null
	}
	return json.Marshal(listResponse{Object: "list", Data: views, HasMore: p.more, NextStartingAfter: p.next})
}

func (p paymentPage) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"object":"list","data":[`...)
	for i, v := range p.views {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = v.AppendJSON(b); err != nil {
			return b, err
		}
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, p.more)
	b = append(b, `,"next_starting_after":`...)
	if p.next == nil {
		return append(b, "null}"...), nil
	}
	b, err := marshal(b, *p.next)
	return append(b, '}'), err
}

func parseListParams(c echo.Context) (payments.ListParams, error) {
	var errs invalid.Errors
	lp := payments.ListParams{Limit: 20}
	q := c.QueryParams()
	for name := range q {
		switch name {
		case "status", "agency", "kind", "created_from", "created_to", "limit", "starting_after":
		default:
			errs.Add(name, "unknown_parameter", "not a parameter of this endpoint")
		}
	}
	if v := q.Get("status"); v != "" {
		st := payments.Status(v)
		if !st.Valid() {
			errs.Add("status", "invalid", "one of the payment statuses")
		}
		lp.Status = &st
	}
	if v := q.Get("agency"); v != "" {
		lp.Agency = &v
	}
	if v := q.Get("kind"); v != "" {
		switch catalog.Kind(v) {
		case catalog.KindFee, catalog.KindCharge, catalog.KindTax, catalog.KindFine, catalog.KindInsurance:
		default:
			errs.Add("kind", "invalid", "fee, charge, tax, fine or insurance")
		}
		lp.Kind = &v
	}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"created_from", &lp.CreatedFrom}, {"created_to", &lp.CreatedTo}} {
		if v := q.Get(f.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs.Add(f.name, "invalid_timestamp", "an RFC 3339 timestamp")
			}
			*f.dst = &t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs.Add("limit", "out_of_range", "a whole number from 1 to 100")
		}
		lp.Limit = n
	}
	if v := q.Get("starting_after"); v != "" {
		lp.StartingAfter = &v
	}
	return lp, errs.Err()
}
