package importer

import (
	"path"
	"strings"

	"github.com/synctl/synctl/pkg/topology"
)

// knownImage is what an image is known to listen on.
type knownImage struct {
	port     int
	protocol topology.Protocol
	// what names the protocol in the report ("PostgreSQL").
	what string
}

// knownImages maps an image's repository name (its last path element,
// without tag) to its main port. Only the images' documented defaults.
var knownImages = map[string]knownImage{
	"postgres":      {5432, topology.ProtocolTCP, "PostgreSQL"},
	"postgis":       {5432, topology.ProtocolTCP, "PostgreSQL"},
	"mysql":         {3306, topology.ProtocolTCP, "MySQL"},
	"mariadb":       {3306, topology.ProtocolTCP, "MySQL"},
	"redis":         {6379, topology.ProtocolTCP, "Redis"},
	"valkey":        {6379, topology.ProtocolTCP, "Redis"},
	"mongo":         {27017, topology.ProtocolTCP, "MongoDB"},
	"rabbitmq":      {5672, topology.ProtocolTCP, "AMQP"},
	"memcached":     {11211, topology.ProtocolTCP, "memcached"},
	"zookeeper":     {2181, topology.ProtocolTCP, "ZooKeeper"},
	"kafka":         {9092, topology.ProtocolTCP, "Kafka"},
	"nats":          {4222, topology.ProtocolTCP, "NATS"},
	"cassandra":     {9042, topology.ProtocolTCP, "CQL"},
	"elasticsearch": {9200, topology.ProtocolHTTP, "HTTP"},
	"kibana":        {5601, topology.ProtocolHTTP, "HTTP"},
	"couchdb":       {5984, topology.ProtocolHTTP, "HTTP"},
	"influxdb":      {8086, topology.ProtocolHTTP, "HTTP"},
	"nginx":         {80, topology.ProtocolHTTP, "HTTP"},
	"httpd":         {80, topology.ProtocolHTTP, "HTTP"},
	"wordpress":     {80, topology.ProtocolHTTP, "HTTP"},
	"adminer":       {8080, topology.ProtocolHTTP, "HTTP"},
	"grafana":       {3000, topology.ProtocolHTTP, "HTTP"},
	"prometheus":    {9090, topology.ProtocolHTTP, "HTTP"},
	"pgadmin4":      {80, topology.ProtocolHTTP, "HTTP"},
}

// imageKnown looks an image up in knownImages.
func imageKnown(image string) (knownImage, string, bool) {
	if image == "" {
		return knownImage{}, "", false
	}
	repo := image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	if strings.HasSuffix(repo, "mssql/server") || strings.HasSuffix(repo, "/azure-sql-edge") {
		return knownImage{1433, topology.ProtocolTCP, "TDS (SQL Server)"}, "mssql", true
	}
	name := path.Base(repo)
	k, ok := knownImages[name]
	if !ok || k.port == 0 {
		return knownImage{}, "", false
	}
	return k, name, true
}

// tcpPorts are port numbers whose protocol is not HTTP by convention.
var tcpPorts = map[int]string{
	22: "SSH", 25: "SMTP", 53: "DNS", 1433: "SQL Server", 1521: "Oracle", 2181: "ZooKeeper",
	3306: "MySQL", 4222: "NATS", 5432: "PostgreSQL", 5672: "AMQP", 6379: "Redis",
	9042: "CQL", 9092: "Kafka", 9229: "the Node.js inspector", 11211: "memcached", 27017: "MongoDB", 33060: "MySQL X",
}

// schemePorts are the default ports of URL schemes.
var schemePorts = map[string]int{
	"http": 80, "https": 443, "ws": 80, "wss": 443,
	"redis": 6379, "rediss": 6379, "postgres": 5432, "postgresql": 5432,
	"mysql": 3306, "mariadb": 3306, "mongodb": 27017, "amqp": 5672, "nats": 4222,
	"memcached": 11211, "kafka": 9092,
}

// httpScheme reports whether a URL scheme is spoken over HTTP.
func httpScheme(s string) bool { return s == "http" || s == "https" || s == "ws" || s == "wss" }

// wellKnownPortNames name ports when a service has several.
var wellKnownPortNames = map[int]string{80: "http", 443: "https", 22: "ssh", 53: "dns", 25: "smtp"}
