package kubetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the key material of one control plane, as files in its directory.
// Everything is made fresh per cluster: nothing is shared between runs, and
// no file outside the test's temporary directory is read or written.
type pki struct {
	caCert                       string // PEM: signs the serving and client certificates
	servingCert, servingKey      string // kube-apiserver's TLS, SAN IP 127.0.0.1
	clientCert, clientKey        string // admin: O=system:masters
	saPublicKey, saPrivateKey    string // service-account token signing pair
	caPEM, clientPEM, clientKeyP []byte // for the kubeconfig
}

// validity is long enough for any test run and short enough that a leaked
// key is worthless. The clock skew margin covers a VM whose clock lags.
const (
	validity   = 24 * time.Hour
	clockSkew  = time.Hour
	serialBits = 126
)

// newPKI writes a CA, a serving certificate for 127.0.0.1, an admin client
// certificate and a service-account key pair into dir. ECDSA P-256 keeps
// generation in the microseconds; kube-apiserver accepts it everywhere.
func newPKI(dir string) (*pki, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "synctl-kubetest-ca"},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, caParsed, err := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	// kube-apiserver is reached as https://127.0.0.1:PORT; "localhost" and
	// the in-cluster names are there for tools that dial those instead.
	servingKey, servingDER, err := leaf(caParsed, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, now)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	// With --client-ca-file, the certificate's O is the user's group;
	// system:masters is allowed everything whatever the authorizer says.
	clientKey, clientDER, err := leaf(caParsed, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "synctl-kubetest-admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, now)
	if err != nil {
		return nil, fmt.Errorf("admin client certificate: %w", err)
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}

	p := &pki{
		caCert:       filepath.Join(dir, "ca.crt"),
		servingCert:  filepath.Join(dir, "apiserver.crt"),
		servingKey:   filepath.Join(dir, "apiserver.key"),
		clientCert:   filepath.Join(dir, "admin.crt"),
		clientKey:    filepath.Join(dir, "admin.key"),
		saPublicKey:  filepath.Join(dir, "sa.pub"),
		saPrivateKey: filepath.Join(dir, "sa.key"),
		caPEM:        pemBlock("CERTIFICATE", caDER),
		clientPEM:    pemBlock("CERTIFICATE", clientDER),
	}
	servingKeyPEM, err := keyPEM(servingKey)
	if err != nil {
		return nil, err
	}
	if p.clientKeyP, err = keyPEM(clientKey); err != nil {
		return nil, err
	}
	saKeyPEM, err := keyPEM(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		path string
		data []byte
	}{
		{p.caCert, p.caPEM},
		{p.servingCert, pemBlock("CERTIFICATE", servingDER)},
		{p.servingKey, servingKeyPEM},
		{p.clientCert, p.clientPEM},
		{p.clientKey, p.clientKeyP},
		{p.saPublicKey, pemBlock("PUBLIC KEY", saPubDER)},
		{p.saPrivateKey, saKeyPEM},
	} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// leaf makes a key and a certificate for tmpl signed by the CA.
func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl *x509.Certificate, now time.Time) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.NotBefore = now.Add(-clockSkew)
	tmpl.NotAfter = now.Add(validity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, _, err := sign(tmpl, ca, &key.PublicKey, caKey)
	return key, der, err
}

func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), serialBits))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return der, cert, err
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pemBlock("PRIVATE KEY", der), nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
