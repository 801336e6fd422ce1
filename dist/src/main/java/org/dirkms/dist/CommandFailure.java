package org.dirkms.dist;

import java.net.BindException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;

import org.apache.directory.api.ldap.model.exception.LdapAuthenticationException;
import org.apache.directory.api.ldap.model.exception.LdapOperationException;
import org.apache.directory.api.ldap.model.exception.LdapTlsHandshakeException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.ldap.client.api.exception.LdapConnectionTimeOutException;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.ds.server.PortInUseException;

/**
 * What a command that failed says: the one line after {@code dirkms X: } on standard error,
 * saying what went wrong and what to do, with the LDAP result code where there is one (RFC 4511
 * section 4.1.9). Every command's failure goes through here ({@link Subcommand#failed(String,
 * Throwable, AgentConnection)}, and {@link DirkmsCommand}'s handler of what no command caught),
 * so that the same cause reads the same in every command: a server certificate the
 * {@code --ca-cert} file does not trust, a directory that cannot be reached, a port in use, a
 * file a flag names that is missing or unreadable, and, for anything else, {@code unexpected
 * error: <type>: <message>; run again with --verbose}. The stack trace is printed only with
 * {@code --verbose}.
 *
 * <p>The messages carry no secret: exceptions of this project never hold one
 * (docs/security.md), and the library messages kept here are the LDAP API's and the JDK's own
 * (names of hosts, files and result codes).
 */
final class CommandFailure {

    /** The LDAP API's message codes, {@code ERR_04110_CANNOT_CONNECT_TO_SERVER}, which mean nothing to a reader. */
    private static final Pattern API_CODE = Pattern.compile("\\bERR_\\d+(_[A-Z0-9_]+)?\\s*:?\\s*");
    /** The host the LDAP API could not resolve, in its ERR_04121 message. */
    private static final Pattern UNRESOLVED_HOST = Pattern.compile("Hostname '([^']*)' could not be resolved");

    private CommandFailure() {
    }

    /**
     * The one line saying why {@code failure} stopped the command and what to do.
     *
     * @param what what the command was doing, e.g. {@code cannot read the CA entry}; null when the
     *        failure's own message says it
     * @param failure what was thrown
     * @param connection how the command reached the directory, for the URL and the CA file in the
     *        message; null when it did not talk to a directory
     */
    static String describe(String what, Throwable failure, AgentConnection connection) {
        String url = connection == null ? "the directory" : "the directory at " + connection.url();
        String trusted = connection == null ? "the --ca-cert file" : connection.trustedCertificates().toString();
        PortInUseException port = find(failure, PortInUseException.class);
        if (port != null) {
            return port.getMessage() + "; choose another --" + port.listener().toLowerCase(java.util.Locale.ROOT)
                    + "-port (0 = any free port), or stop the program listening there";
        }
        if (untrustedCertificate(failure)) {
            return "cannot reach " + url + ": the server's certificate is not trusted by CA file " + trusted + ": "
                    + certificateReason(failure) + "; give --ca-cert with the CA that issued it ("
                    + "data/tls/ca.crt of the server's data folder)";
        }
        if (failure instanceof LdapTlsHandshakeException || find(failure, SSLHandshakeException.class) != null) {
            return "cannot reach " + url + ": the TLS handshake failed: " + plain(deepest(failure))
                    + "; check --url (ldap:// is StartTLS, ldaps:// TLS from the start) and --ca-cert";
        }
        String text = String.valueOf(failure.getMessage());
        if (find(failure, ConnectException.class) != null || text.contains("ERR_04110")) {
            return "cannot reach " + url + ": connection refused; is 'dirkms serve' running there? check --url";
        }
        if (find(failure, UnknownHostException.class) != null || text.contains("ERR_04121")) {
            Matcher host = UNRESOLVED_HOST.matcher(text);
            return "cannot reach " + url + ": unknown host" + (host.find() ? " '" + host.group(1) + "'" : "")
                    + "; check --url";
        }
        if (find(failure, LdapConnectionTimeOutException.class) != null) {
            return "cannot reach " + url + ": no answer in time; check --url and that the server runs";
        }
        if (find(failure, BindException.class) != null) {
            // A listener that lost the race for its port after the check (DirectoryServer).
            String message = plain(failure);
            return prefixed(what, message.contains("port") ? message : message + "; a port is in use ("
                    + plain(find(failure, BindException.class)) + "): choose other ports, or stop the program"
                    + " listening there");
        }
        if (failure instanceof NoSuchFileException missing) {
            return prefixed(what, "no such file: " + missing.getFile() + "; check the flag that names it");
        }
        if (failure instanceof AccessDeniedException denied) {
            return prefixed(what, "permission denied: " + denied.getFile()
                    + "; run as the user owning it, or check the flag that names it");
        }
        if (failure instanceof FileSystemException file) {
            return prefixed(what, "cannot use " + file.getFile() + ": " + plain(file));
        }
        if (failure instanceof LdapAuthenticationException) {
            // AgentConnection's own message names the DN, the password's source and result code 49.
            return prefixed(what, withResultCode(plain(failure), ResultCodeEnum.INVALID_CREDENTIALS));
        }
        if (failure instanceof LdapOperationException operation && operation.getResultCode() != null) {
            return prefixed(what, withResultCode(plain(failure), operation.getResultCode()));
        }
        if (failure.getMessage() == null || failure instanceof RuntimeException
                && !(failure instanceof IllegalArgumentException || failure instanceof IllegalStateException
                        || failure.getClass().getName().startsWith("org.dirkms."))) {
            // A defect, or a library's surprise: its message was not written for this reader.
            return unexpected(failure);
        }
        return prefixed(what, plain(failure));
    }

    /** The last-resort line: the exception's type and message, and how to see more. */
    static String unexpected(Throwable failure) {
        return "unexpected error: " + failure.getClass().getName()
                + (failure.getMessage() == null ? "" : ": " + firstLine(failure.getMessage()))
                + "; run again with --verbose";
    }

    /** True if the TLS handshake failed because no path led from the server's certificate to a trusted one. */
    static boolean untrustedCertificate(Throwable failure) {
        // Only in a TLS handshake: a chain the CA itself checks ('ca install --chain') fails with
        // the same JDK exceptions and says so in its own words.
        SSLHandshakeException handshake = find(failure, SSLHandshakeException.class);
        if (handshake != null && (find(handshake, CertPathBuilderException.class) != null
                || find(handshake, CertPathValidatorException.class) != null)) {
            return true;
        }
        // The LDAP API reports the handshake without the JDK's exception as its cause: its
        // classification says why ("Failed to build certification path: ...").
        LdapTlsHandshakeException tls = find(failure, LdapTlsHandshakeException.class);
        return tls != null && (tls.getFailCause() != null && tls.getFailCause().getReason() != null
                || String.valueOf(tls.getMessage()).contains("certification path"));
    }

    private static String certificateReason(Throwable failure) {
        LdapTlsHandshakeException tls = find(failure, LdapTlsHandshakeException.class);
        Throwable root = tls != null && tls.getFailCause() != null && tls.getFailCause().getRootCause() != null
                ? tls.getFailCause().getRootCause() : deepest(failure);
        String reason = plain(root);
        return reason.isEmpty() ? "no certification path" : reason;
    }

    /** {@code message (name (N))}, unless the message already names the code. */
    private static String withResultCode(String message, ResultCodeEnum code) {
        String number = Integer.toString(code.getResultCode());
        if (message.contains("(" + number + ")") || message.contains("result code " + number)) {
            return message;
        }
        return message + " (" + code.getMessage() + " (" + number + "))";
    }

    private static String prefixed(String what, String message) {
        return what == null ? message : what + ": " + message;
    }

    /** The message on one line, without the LDAP API's message codes or a JDK class name before it. */
    static String plain(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        message = API_CODE.matcher(firstLine(message)).replaceAll("");
        // "sun.security.provider.certpath.SunCertPathBuilderException: unable to find ..." -> "unable to find ..."
        return message.replaceAll("^([a-z]+\\.)+[A-Za-z]+(Exception|Error): ", "").strip();
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    private static Throwable deepest(Throwable failure) {
        Throwable last = failure;
        for (Throwable t = failure; t != null && t != t.getCause(); t = t.getCause()) {
            last = t;
        }
        return last;
    }

    /** The first exception of type {@code type} in the cause chain of {@code failure}, or null. */
    static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 20; t = t.getCause(), depth++) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
