package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.enroll.KmsAgent;

/**
 * {@code dirkms agent}: runs the KMS agent standalone against a directory (the embedded one or
 * a remote LDAPv3 server with the schema), until SIGTERM or Ctrl-C. It reconciles the tree, then
 * follows it with syncrepl, enrolling, revoking and expiring packages as {@code dirkms serve}'s
 * in-process agent does.
 */
public final class AgentCommand implements Subcommand {

    @Override
    public String name() {
        return "agent";
    }

    @Override
    public String summary() {
        return "run the KMS agent against a directory (enrollment, revocation, package expiry)";
    }

    @Override
    public String usage() {
        return "usage: dirkms agent [flags]\n\n" + AgentOptions.USAGE + "\n"
                + "  --recovery-cert F     the key recovery agent's certificate (PEM), for an agent without the\n"
                + "                        CA's key store: the certificates are then requested through the\n"
                + "                        request queue (ou=Requests,ou=KMS), which 'dirkms serve' serves\n\n"
                + "The agent serves the administrative groups whose KMS server entry (ou=Servers,ou=KMS)\n"
                + "names --bind-dn in kmsAgentIdentity. Stop with Ctrl-C or SIGTERM.";
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        AgentOptions options;
        try {
            options = AgentOptions.parse(arguments, "recovery-cert");
        } catch (UsageException e) {
            err.println("dirkms agent: " + e.getMessage());
            err.println("'dirkms agent --help' lists the flags.");
            return USAGE;
        }
        if (options == null) {
            out.println(usage());
            return OK;
        }
        KmsAgent agent;
        try {
            CertificationAuthority ca;
            X509Certificate recoveryCertificate;
            try (LdapNetworkConnection connection = options.open(Duration.ofSeconds(30).toMillis())) {
                if (options.hasCaKeyStore()) {
                    ca = options.openCa(connection);
                    recoveryCertificate = options.recovery(ca).current().certificate();
                } else {
                    // No CA in this process: the certificates come from whichever CA serves the
                    // request queue (README, "What the KMS answers").
                    ca = null;
                    recoveryCertificate = options.recoveryCertificateWithoutCa(options.specific.get("recovery-cert"));
                    out.println("dirkms agent: no CA key store at " + options.caKeyStore()
                            + ": certificates are requested through the queue under " + options.layout.requests());
                }
            }
            agent = options.context.agent(ca, recoveryCertificate, options.settings(), options.workers, options.sweep);
            agent.start();
        } catch (IOException | LdapException | GeneralSecurityException | IssuanceRefusedException
                | DirectoryAccessException | IllegalArgumentException | IllegalStateException e) {
            err.println("dirkms agent: " + e.getMessage());
            return FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                agent.close();
                out.println("dirkms agent stopped");
                out.flush();
            } finally {
                stopped.countDown();
            }
        }, "dirkms-agent-shutdown"));
        out.println("dirkms agent running as " + options.connection.bindDn() + " against " + options.connection.url());
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return OK;
    }
}
