package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/routing"
)

func (s *Server) routesProviders() {
	e := s.Echo
	e.POST("/v1/payments/:id/qr", s.issueQR)
	e.GET("/v1/providers", s.listProviders)
	e.POST("/v1/callbacks/:provider", s.callback)
	e.GET("/v1/callbacks/:provider", s.callback) // VNPAY's IPN is a GET
}

// providerView is one provider's health. It is public: it names no
// credentials, and operators and status pages need it without a key.
type providerView struct {
	Name        string         `json:"name"`
	Methods     []banks.Method `json:"methods"`
	Health      string         `json:"health"`
	Breaker     breakerView    `json:"breaker"`
	Counts      countsView     `json:"counts"`
	InFlight    int            `json:"in_flight"`
	SuccessRate float64        `json:"success_rate"`
	Fee         feeView        `json:"fee"`
}

type breakerView struct {
	State          string `json:"state"`
	FailuresToOpen int    `json:"failures_to_open"`
	OpenFor        string `json:"open_for"`
	HalfOpenProbes int    `json:"half_open_probes"`
	Timeout        string `json:"timeout"`
	MaxConcurrent  int    `json:"max_concurrent"`
}

type countsView struct {
	Requests            uint64 `json:"requests"`
	Successes           uint64 `json:"successes"`
	Failures            uint64 `json:"failures"`
	ConsecutiveFailures uint64 `json:"consecutive_failures"`
	ShortCircuited      uint64 `json:"short_circuited"`
}

type feeView struct {
	Percent decimal.Decimal `json:"percent"`
	Fixed   decimal.Decimal `json:"fixed"`
}

func (s *Server) listProviders(c echo.Context) error {
	if err := noParams(c); err != nil {
		return err
	}
	data := []providerView{}
	if s.deps.Router != nil {
		for _, h := range s.deps.Router.Health() {
			data = append(data, viewProvider(h))
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: data})
}

func viewProvider(h routing.Health) providerView {
	b := h.Breaker
	v := providerView{
		Name: h.Provider, Methods: h.Methods, Health: h.Status, InFlight: b.InFlight, SuccessRate: b.SuccessRate,
		Counts: countsView{Requests: b.Requests, Successes: b.Successes, Failures: b.Failures,
			ConsecutiveFailures: b.ConsecutiveFailures, ShortCircuited: b.ShortCircuited},
		Breaker: breakerView{State: b.State},
		Fee:     feeView{Percent: h.Fee.Percent, Fixed: h.Fee.Fixed},
	}
	if st := b.Settings; st.Failures > 0 {
		v.Breaker = breakerView{State: b.State, FailuresToOpen: st.Failures, OpenFor: st.Open.String(),
			HalfOpenProbes: st.Probes, Timeout: st.Timeout.String(), MaxConcurrent: st.MaxConcurrent}
	}
	return v
}
