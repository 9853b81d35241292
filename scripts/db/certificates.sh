# Sourced by scripts/testdb.sh. make_test_certificates DIR KEY CERT
#
# A throwaway CA (DIR/ca.crt, its key DIR/ca.key) and a server key and certificate it signs, written to KEY and CERT.
# The certificate names DNS:localhost only, not 127.0.0.1: connecting to "localhost" verifies, connecting to
# 127.0.0.1 fails the host-name check. Tests prove with it that a secret with "ssl": true checks both the chain and
# the host name, and that one without "ssl" still encrypts.
make_test_certificates() {
    local dir="$1" key="$2" cert="$3"
    mkdir -p "$dir"
    if ! (
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
            -subj "/CN=lockstep test CA" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
                -keyout "$key" -out "$dir/server.csr" &&
            openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
                -extfile <(printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n') -out "$cert"
    ) >"$dir/openssl.log" 2>&1; then
        echo "could not make the test certificates:" >&2
        cat "$dir/openssl.log" >&2
        return 1
    fi
    chmod 755 "$dir"
    chmod 644 "$dir/ca.crt" "$cert"
}
