package topology

// Internet is what a service's outbound traffic may reach when its spec
// names no CIDRs: every address, IPv4 and IPv6, except the private,
// loopback and link-local ranges, where the cluster's own pods, services
// and metadata endpoints live. Traffic to those goes through the spec's
// links instead.
func Internet() []IPBlock {
	return []IPBlock{
		{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"}},
		{CIDR: "::/0", Except: []string{"::1/128", "fc00::/7", "fe80::/10"}},
	}
}
