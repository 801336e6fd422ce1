package org.dirkms.it.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * gpgsm (GnuPG 2.2) in a home of its own, as a mail client user runs it: the root it trusts in
 * {@code trustlist.txt}, dirmngr with HTTP off and no list of LDAP servers, so that dirmngr
 * reaches a directory only through the URLs the certificates name (their CRL distribution
 * points). {@link #close} stops the home's gpg-agent and dirmngr.
 */
public final class Gpgsm implements AutoCloseable {
    private final Path home;
    private final Map<String, String> environment;

    private Gpgsm(Path home) {
        this.home = home;
        this.environment = Map.of("GNUPGHOME", home.toString());
    }

    /**
     * A new home at {@code home} (made, mode 0700) trusting {@code root}, CRL checks on.
     *
     * @param ldapServers lines of {@code dirmngr_ldapservers.conf}, none to leave it out
     */
    public static Gpgsm trusting(Path home, X509Certificate root, String... ldapServers) throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        LdapTools.requireTool("dirmngr", "dirmngr");
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("dirmngr.conf"), "disable-http\nldaptimeout 10\n");
        if (ldapServers.length > 0) {
            Files.writeString(home.resolve("dirmngr_ldapservers.conf"), String.join("\n", ldapServers) + "\n");
        }
        Files.writeString(home.resolve("trustlist.txt"), fingerprint(root) + " S relax\n");
        return new Gpgsm(home);
    }

    /** The home folder. */
    public Path home() {
        return home;
    }

    /** {@code GNUPGHOME} for other GnuPG tools run on this home. */
    public Map<String, String> environment() {
        return environment;
    }

    /** Imports certificates (PEM or DER files) without checking CRLs: importing is not validating. */
    public void importCertificates(Path... files) {
        List<String> command = new ArrayList<>(List.of("gpgsm", "--batch", "--disable-crl-checks", "--import"));
        for (Path file : files) {
            command.add(file.toString());
        }
        LdapTools.run(command, environment, null).assertSuccess();
    }

    /** Runs {@code gpgsm --batch ARGUMENTS} (CRL checks as configured: on). */
    public LdapTools.Result run(String... arguments) {
        List<String> command = new ArrayList<>(List.of("gpgsm", "--batch"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, environment, null);
    }

    /**
     * Runs {@code gpgsm --batch ARGUMENTS} with {@code passphrase} on standard input instead of a
     * pinentry (loopback), for the keys gpg-agent keeps under a package's token.
     */
    public LdapTools.Result runWithPassphrase(String passphrase, String... arguments) {
        List<String> command = new ArrayList<>(List.of("gpgsm", "--batch", "--pinentry-mode", "loopback",
                "--passphrase-fd", "0"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, environment, passphrase + "\n");
    }

    /** The SHA-1 fingerprint gpgsm names a certificate by, colon-separated hex. */
    public static String fingerprint(X509Certificate certificate) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded());
        StringBuilder text = new StringBuilder();
        for (byte b : digest) {
            text.append(text.length() == 0 ? "" : ":").append(String.format("%02X", b));
        }
        return text.toString();
    }

    @Override
    public void close() {
        LdapTools.run(List.of("gpgconf", "--kill", "all"), environment, null);
    }
}
