package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.BindException;
import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import javax.net.ssl.SSLHandshakeException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.ds.server.PortInUseException;
import org.junit.jupiter.api.Test;

/** What a failure reads as: one line, what went wrong and what to do, the result code where there is one. */
class CommandFailureTest {

    private static final AgentConnection CONNECTION = new AgentConnection("ldaps://127.0.0.1:10636",
            "uid=kms-agent,ou=KMS,dc=example,dc=com", Path.of("data/kms-agent.password"), Path.of("other-ca.pem"));

    @Test
    void anUntrustedServerCertificateNamesTheCaFileAndWhatToGive() {
        SSLHandshakeException handshake = new SSLHandshakeException("PKIX path building failed");
        handshake.initCause(new CertPathBuilderException("unable to find valid certification path to requested target"));
        assertEquals("cannot reach the directory at ldaps://127.0.0.1:10636: the server's certificate is not trusted by"
                + " CA file other-ca.pem: unable to find valid certification path to requested target; give --ca-cert"
                + " with the CA that issued it (data/tls/ca.crt of the server's data folder)",
                CommandFailure.describe(null, new LdapException("TLS", handshake), CONNECTION));
    }

    @Test
    void aChainTheCaChecksIsNotATlsFailure() {
        java.security.GeneralSecurityException chain = new java.security.GeneralSecurityException(
                "issuing.pem does not chain to the root: Path does not chain with any of the trust anchors",
                new java.security.cert.CertPathValidatorException("Path does not chain with any of the trust anchors"));
        assertEquals("issuing.pem does not chain to the root: Path does not chain with any of the trust anchors",
                CommandFailure.describe(null, chain, CONNECTION));
    }

    @Test
    void aPortTheMessageAlreadyNamesGetsNoSecondHint() {
        assertEquals("cannot listen for HTTP on 127.0.0.1:10080: Address already in use (choose another --http-port,"
                + " or --no-http)", CommandFailure.describe(null, new java.io.IOException("cannot listen for HTTP on"
                        + " 127.0.0.1:10080: Address already in use (choose another --http-port, or --no-http)",
                        new java.net.BindException("Address already in use")), null));
        assertEquals("cannot start the LDAP listeners on 127.0.0.1: Failed to bind an LDAP service (10,389) to the"
                + " service registry.; a port is in use (Address already in use): choose other ports, or stop the"
                + " program listening there", CommandFailure.describe(null, new java.io.IOException("cannot start the"
                        + " LDAP listeners on 127.0.0.1: ERR_171 Failed to bind an LDAP service (10,389) to the service"
                        + " registry.", new java.net.BindException("Address already in use")), null));
    }

    @Test
    void anUnreachableDirectorySaysWhatToCheck() {
        assertEquals("cannot reach the directory at ldaps://127.0.0.1:10636: connection refused; is 'dirkms serve'"
                + " running there? check --url", CommandFailure.describe(null, new LdapException(
                        "ERR_04110_CANNOT_CONNECT_TO_SERVER Cannot connect to the server: Connection refused"), CONNECTION));
        assertEquals("cannot reach the directory: connection refused; is 'dirkms serve' running there? check --url",
                CommandFailure.describe(null, new LdapException("no", new ConnectException("Connection refused")), null));
        assertEquals("cannot reach the directory at ldaps://127.0.0.1:10636: unknown host 'kms.invalid'; check --url",
                CommandFailure.describe(null, new LdapException("ERR_04121_CANNOT_RESOLVE_HOSTNAME Cannot connect to"
                        + " the server, Hostname 'kms.invalid' could not be resolved."), CONNECTION));
    }

    @Test
    void aFileAFlagNamesIsNamed() {
        assertEquals("no such file: agent.password; check the flag that names it",
                CommandFailure.describe(null, new NoSuchFileException("agent.password"), null));
        assertEquals("cannot read the key package: permission denied: alice.p12; run as the user owning it, or check"
                + " the flag that names it", CommandFailure.describe("cannot read the key package",
                        new AccessDeniedException("alice.p12"), null));
    }

    @Test
    void aRefusalCarriesItsResultCode() {
        assertEquals("cannot add the role: no write access to cn=kms-administrators (insufficientAccessRights (50))",
                CommandFailure.describe("cannot add the role", new LdapNoPermissionException(
                        "ERR_13500 no write access to cn=kms-administrators"), null));
    }

    @Test
    void aPortInUseNamesTheFlag() {
        assertEquals("the LDAPS port 127.0.0.1:10636 is in use by another program; choose another --ldaps-port"
                + " (0 = any free port), or stop the program listening there",
                CommandFailure.describe(null, new PortInUseException("LDAPS", "127.0.0.1", 10636,
                        new BindException("Address already in use")), null));
    }

    @Test
    void anythingElseIsUnexpectedAndPointsToVerbose() {
        assertEquals("unexpected error: java.lang.NullPointerException: entry; run again with --verbose",
                CommandFailure.describe(null, new NullPointerException("entry\nmore"), null));
        assertEquals("unexpected error: java.io.IOException; run again with --verbose",
                CommandFailure.describe("cannot read", new java.io.IOException(), null));
    }
}
