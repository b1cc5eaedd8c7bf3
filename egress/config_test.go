package egress

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseAllowNetworks(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string // substring naming the bad entry
	}{
		{in: "", want: nil},
		{in: " , ,", want: nil},
		{in: "10.0.0.0/8", want: []string{"10.0.0.0/8"}},
		{in: "10.0.0.0/8, 192.168.1.7 ,fd00::/8", want: []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}},
		{in: "::1", want: []string{"::1/128"}},
		{in: "10.1.2.3/8", want: []string{"10.0.0.0/8"}},
		{in: "10.0.0.0/8,nope", wantErr: `"nope"`},
		{in: "10.0.0.0/33", wantErr: `"10.0.0.0/33"`},
		{in: "fe80::1%eth0", wantErr: `"fe80::1%eth0"`},
		{in: "example.com", wantErr: `"example.com"`},
	}
	for _, tt := range tests {
		got, err := ParseAllowNetworks(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseAllowNetworks(%q) error = %v, want one naming %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAllowNetworks(%q) error = %v", tt.in, err)
			continue
		}
		var gotStrings []string
		for _, p := range got {
			gotStrings = append(gotStrings, p.String())
		}
		if !slices.Equal(gotStrings, tt.want) {
			t.Errorf("ParseAllowNetworks(%q) = %v, want %v", tt.in, gotStrings, tt.want)
		}
	}
}

func TestConfigDefaultsAndValidate(t *testing.T) {
	got := Config{}.WithDefaults()
	if got.MaxResponseBytes != MaxResponseBytesDefault || got.MaxRedirects != MaxRedirectsDefault ||
		got.MaxIdleConnsPerHost != MaxIdleConnsPerHostDefault || got.DialTimeout != DialTimeoutDefault {
		t.Errorf("Config{}.WithDefaults() = %+v, want defaults", got)
	}
	if got := (Config{MaxRedirects: -1}).WithDefaults().MaxRedirects; got != -1 {
		t.Errorf("WithDefaults kept MaxRedirects = %d, want -1", got)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("Config{}.Validate() = %v, want nil", err)
	}
	for _, tt := range []struct {
		cfg   Config
		field string
	}{
		{Config{MaxResponseBytes: -1}, "MaxResponseBytes"},
		{Config{DialTimeout: -1}, "DialTimeout"},
		{Config{AllowNetworks: []netip.Prefix{{}}}, "AllowNetworks[0]"},
	} {
		if err := tt.cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), tt.field) {
			t.Errorf("Validate() = %v, want an error naming %s", err, tt.field)
		}
	}
}
