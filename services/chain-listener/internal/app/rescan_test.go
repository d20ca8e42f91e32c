package app

import "testing"

func TestParseRescan(t *testing.T) {
	tests := []struct {
		body     string
		chain    string
		from, to uint64
		ok       bool
	}{
		{`{"from":1,"to":10}`, "", 1, 10, true},
		{`{"chain":"BSC","from":1,"to":10}`, "BSC", 1, 10, true},
		{`{"from":5,"to":5}`, "", 5, 5, true},
		{`{"from":1,"to":100000}`, "", 1, 100000, true},
		{`{"from":1,"to":100001}`, "", 0, 0, false},
		{`{"from":10,"to":1}`, "", 0, 0, false},
		{`{"from":1}`, "", 0, 0, false},
		{`{"from":-1,"to":3}`, "", 0, 0, false},
		{`{"from":"1","to":3}`, "", 0, 0, false},
		{`{"from":1,"to":3,"x":1}`, "", 0, 0, false},
		{`{"from":1,"to":3} {}`, "", 0, 0, false},
		{`garbage`, "", 0, 0, false},
		{``, "", 0, 0, false},
	}
	for _, tc := range tests {
		chain, from, to, err := parseRescan([]byte(tc.body))
		if (err == nil) != tc.ok || chain != tc.chain || from != tc.from || to != tc.to {
			t.Errorf("parseRescan(%s) = %q, %d, %d, %v; want %q, %d, %d, ok=%v", tc.body, chain, from, to, err, tc.chain, tc.from, tc.to, tc.ok)
		}
	}
}
