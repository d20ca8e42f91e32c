package payoutapp

import "testing"

// TestUsage keeps the usage texts the services always printed.
func TestUsage(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Usage("withdraw", "withdrawals", "for the hot wallet when its signing is stopped"), `Usage:
  withdraw                 run the service
  withdraw pending         list the withdrawals without a final answer yet:
                           request id, state, transaction state, hash, nonce and age
  withdraw repair-nonces [--apply]
                           for the hot wallet when its signing is stopped (its nonces
                           and the chain's disagree): say what was found and what the
                           repair does; with --apply do it and resume signing
`},
		{Usage("pay", "payments", "for every address whose signing is stopped"), `Usage:
  pay                      run the service
  pay pending              list the payments without a final answer yet:
                           request id, state, transaction state, hash, nonce and age
  pay repair-nonces [--apply]
                           for every address whose signing is stopped (its nonces and
                           the chain's disagree): say what was found and what the
                           repair does; with --apply do it and resume signing
`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got\n%s\nwant\n%s", tt.got, tt.want)
		}
	}
}

func TestRepairArgs(t *testing.T) {
	tests := []struct {
		args  []string
		apply bool
		err   error
	}{
		{nil, false, nil},
		{[]string{"--apply"}, true, nil},
		{[]string{"-apply"}, true, nil},
		{[]string{"x"}, false, ErrUsage},
		{[]string{"--apply", "x"}, false, ErrUsage},
	}
	for _, tt := range tests {
		if apply, err := repairArgs(tt.args); apply != tt.apply || err != tt.err {
			t.Errorf("repairArgs(%q) = %v, %v; want %v, %v", tt.args, apply, err, tt.apply, tt.err)
		}
	}
}
