package org.dirkms.dist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapMailDirectory;
import org.dirkms.agent.directory.MailDirectory;
import org.dirkms.agent.smime.CertificateCheck;
import org.dirkms.agent.smime.MailKeys;
import org.dirkms.agent.smime.RecipientCertificates;
import org.dirkms.agent.smime.SecureMail;
import org.dirkms.agent.smime.SecureMailException;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.PasswordFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms smime}: a person's S/MIME mail with the keys dirkms issued them (README,
 * "Sending and reading secure mail"). {@code sign}, {@code encrypt}, {@code decrypt} and
 * {@code verify} take a whole RFC 5322 message and give one back; the keys come from the key
 * packages and their one-time token, the recipients' certificates, the trust anchors and the
 * CRLs from the directory. Output is written only when the operation succeeded (a temporary file
 * beside {@code --out}, then renamed over it); nothing printed holds a key, a token or the
 * message.
 */
@Command(name = "smime", description = {"Sign, encrypt, decrypt and verify mail (S/MIME 4.0, RFC 8551) with the keys"
        + " dirkms issued you.", "",
        "Messages are whole RFC 5322 messages, from --in or standard input to --out or standard output. The keys"
                + " are your key package files (kmsKeyPackage; in the legacy format one file per key) and the token"
                + " that came with them. Recipients' certificates, the CA certificates and the CRLs come from the"
                + " directory."},
        subcommands = {SmimeCommand.Sign.class, SmimeCommand.Encrypt.class, SmimeCommand.Decrypt.class,
            SmimeCommand.Verify.class})
final class SmimeCommand extends Subcommand {

    /** How long one directory operation may wait. */
    private static final long TIMEOUT_MILLIS = Duration.ofMinutes(1).toMillis();

    /** The values of {@code --content-encryption}, in the words of the brief's command line. */
    static final Map<String, ContentEncryptionAlgorithm> CONTENT_ENCRYPTIONS = new LinkedHashMap<>();

    static {
        CONTENT_ENCRYPTIONS.put("aes256-gcm", ContentEncryptionAlgorithm.AES_256_GCM);
        CONTENT_ENCRYPTIONS.put("aes128-gcm", ContentEncryptionAlgorithm.AES_128_GCM);
        CONTENT_ENCRYPTIONS.put("aes256-cbc", ContentEncryptionAlgorithm.AES_256_CBC);
        CONTENT_ENCRYPTIONS.put("aes128-cbc", ContentEncryptionAlgorithm.AES_128_CBC);
        CONTENT_ENCRYPTIONS.put("3des", ContentEncryptionAlgorithm.DES_EDE3_CBC);
    }

    /**
     * The content encryption when neither {@code --content-encryption} nor the sender's group
     * names one: AES-256-CBC in EnvelopedData, which every S/MIME client reads; gpgsm 2.2 and some
     * Outlook versions cannot read AuthEnvelopedData (docs/interoperability.md).
     */
    static final ContentEncryptionAlgorithm DEFAULT_CONTENT_ENCRYPTION = ContentEncryptionAlgorithm.AES_256_CBC;

    /** Without an action: a usage error naming the actions. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms smime sign --key-package jdoe.p12 --token-file token --in mail.eml --out signed.eml",
                "sign a message with your signing key",
                "dirkms smime encrypt --key-package jdoe.p12 --token-file token --sign --in mail.eml --out secret.eml",
                "sign, then encrypt to the To/Cc/Bcc addresses and to yourself",
                "dirkms smime verify --in signed.eml --out content.eml", "check the signer against the directory's CAs and CRLs");
    }

    /** The flags naming the user's own keys. */
    static final class KeyOptions {
        @Option(names = "--key-package", paramLabel = "F", required = true,
                description = "your key package (PKCS#12, DER or base64), as kmsKeyPackage held it; repeat it for a"
                        + " package of one key per file (legacy-pbe-sha1-3des)")
        List<Path> keyPackages;

        @Option(names = "--token-file", paramLabel = "T", required = true,
                description = "the one-time token of the key packages, first line")
        Path tokenFile;

        /** Opens the key packages with the token; the token's characters are overwritten after use. */
        MailKeys open() throws SecureMailException, UsageException {
            List<byte[]> packages = new ArrayList<>();
            for (Path file : keyPackages) {
                packages.add(read(file, "key package"));
            }
            char[] token;
            try {
                token = PasswordFile.read(tokenFile);
            } catch (NoSuchFileException e) {
                throw new UsageException("--token-file " + tokenFile + " does not exist");
            } catch (IOException e) {
                throw new UsageException("--token-file: " + e.getMessage());
            }
            try {
                return MailKeys.open(packages, token);
            } finally {
                Arrays.fill(token, '\0');
            }
        }
    }

    /** The flags of the message in and out. */
    static final class MessageOptions {
        @Option(names = "--in", paramLabel = "MSG", description = "the message (RFC 5322); default standard input")
        Path in;

        @Option(names = "--out", paramLabel = "OUT", description = "where the result goes; default standard output")
        Path out;

        byte[] input() throws UsageException {
            if (in == null) {
                try {
                    return System.in.readAllBytes();
                } catch (IOException e) {
                    throw new UsageException("cannot read standard input: " + e.getMessage());
                }
            }
            return read(in, "--in");
        }

        /** Writes {@code bytes} to {@code --out} through a temporary file beside it, or to standard output. */
        void output(byte[] bytes, Subcommand command) throws IOException {
            if (out == null) {
                java.io.PrintStream standardOutput = command.bytesOut();
                standardOutput.write(bytes);
                standardOutput.flush();
                return;
            }
            Path target = out.toAbsolutePath();
            Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
            try {
                Files.write(temporary, bytes);
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
    }

    private static byte[] read(Path file, String what) throws UsageException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(what + " " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new UsageException(what + " " + file + " cannot be read (permission denied)");
        } catch (IOException e) {
            throw new UsageException(what + " " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** The directory's CA certificates and CRLs, parsed. */
    record Authorities(List<X509Certificate> certificates, List<X509CRL> crls) {
        static Authorities of(MailDirectory directory) throws GeneralSecurityException {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> certificates = new ArrayList<>();
            List<X509CRL> crls = new ArrayList<>();
            for (MailDirectory.Authority authority : directory.authorities()) {
                for (byte[] der : authority.certificates()) {
                    certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
                if (authority.crl() != null) {
                    crls.add((X509CRL) factory.generateCRL(new ByteArrayInputStream(authority.crl())));
                }
            }
            return new Authorities(certificates, crls);
        }
    }

    /**
     * The protected connection of {@code kms}: bound as its identity (asking for the password on
     * the terminal when there is no password file), or, when {@code anonymous}, not bound.
     */
    static LdapNetworkConnection connect(KmsContext kms, boolean anonymous)
            throws UsageException, IOException, LdapException, GeneralSecurityException {
        return anonymous ? kms.connection().openAnonymous(TIMEOUT_MILLIS)
                : PersonConnectionOptions.open(kms, TIMEOUT_MILLIS);
    }

    /** What sign and decrypt do to a message with the sender's or recipient's keys. */
    @FunctionalInterface
    interface KeyedOperation {
        byte[] apply(SecureMail mail, byte[] message, MailKeys keys) throws SecureMailException;
    }

    /**
     * Opens the key packages, applies {@code operation} to the message and writes the result: a
     * refusal or a write that fails is one line, and nothing is written.
     */
    static int withKeys(Subcommand command, KeyOptions keys, MessageOptions message, KeyedOperation operation)
            throws UsageException {
        byte[] input = message.input();
        try {
            MailKeys opened = keys.open();
            message.output(operation.apply(new SecureMail(java.time.Clock.systemUTC(), new java.security.SecureRandom()),
                    input, opened), command);
            return OK;
        } catch (SecureMailException e) {
            return command.failed(e.getMessage());
        } catch (IOException e) {
            return command.failed("cannot write " + message.out + ": " + e.getMessage());
        }
    }

    /** Who a certificate belongs to, for messages: its first address, else its subject. */
    static String who(X509Certificate certificate) {
        List<String> addresses = MailKeys.addresses(certificate);
        return addresses.isEmpty() ? certificate.getSubjectX500Principal().getName() : addresses.get(0);
    }

    /** {@code dirkms smime sign}. */
    @Command(name = "sign", description = {"Sign a message: multipart/signed (detached, RFC 8551 section 3.5.3) with"
            + " your signing key; the outer headers (From, To, Subject, Date, Message-ID) stay outside.", "",
            "The signature carries signingTime, SMIMECapabilities and SMIMEEncryptionKeyPreference naming your"
                    + " encryption certificate, and both certificates with the CA chain."})
    static final class Sign extends Subcommand {
        @Mixin
        KeyOptions keys;
        @Mixin
        MessageOptions message;

        @Override
        List<String> examples() {
            return List.of("dirkms smime sign --key-package jdoe.p12 --token-file token --in mail.eml --out signed.eml",
                    "sign mail.eml", "dirkms smime sign --key-package jdoe-1.p12 --key-package jdoe-2.p12 --token-file"
                            + " token < mail.eml > signed.eml", "the legacy format: one package per key");
        }

        @Override
        int run() throws UsageException {
            return withKeys(this, keys, message, SecureMail::sign);
        }
    }

    /** {@code dirkms smime encrypt}. */
    @Command(name = "encrypt", description = {"Encrypt a message to its recipients and to yourself:"
            + " application/pkcs7-mime, enveloped-data (AES-CBC, 3DES) or authEnveloped-data (AES-GCM).", "",
            "Each recipient (--to, else the To, Cc and Bcc addresses) is looked up by mail in the directory; the"
                    + " certificate encrypted to is the one whose key usage allows encryption (keyEncipherment or"
                    + " keyAgreement), never a signing-only one. A certificate of a directory CA that is on its CRL"
                    + " is refused before anything is written. The content encryption is --content-encryption, else"
                    + " kmsContentEncryptionAlgorithm of your administrative group, else aes256-cbc. RSA keys by"
                    + " RSAES-PKCS1-v1_5, EC keys by ECDH (dhSinglePass-stdDH-sha256kdf) with AES key wrap."})
    static final class Encrypt extends Subcommand {
        @Mixin
        KeyOptions keys;
        @Mixin
        MessageOptions message;
        @Mixin
        PersonConnectionOptions connection;

        @Option(names = "--anonymous", description = "look up without a bind, as mail clients do (your group's"
                + " content encryption cannot be read then: aes256-cbc unless --content-encryption)")
        boolean anonymous;

        @Option(names = "--to", paramLabel = "ADDR", description = "a recipient; repeat for more (default: the To, Cc"
                + " and Bcc addresses of the message)")
        List<String> to;

        @Option(names = "--sign", description = "sign with your signing key first, then encrypt")
        boolean sign;

        @Option(names = "--content-encryption", paramLabel = "ALG",
                description = "aes256-gcm, aes128-gcm, aes256-cbc, aes128-cbc or 3des (default: your group's"
                        + " kmsContentEncryptionAlgorithm, else aes256-cbc)")
        String contentEncryption;

        @Override
        List<String> examples() {
            return List.of("dirkms smime encrypt --key-package jdoe.p12 --token-file token --in mail.eml --out"
                    + " secret.eml", "encrypt to the message's recipients and to yourself",
                    "dirkms smime encrypt --key-package jdoe.p12 --token-file token --to bob@example.com --sign"
                            + " --content-encryption aes256-gcm < mail.eml > secret.eml",
                    "sign, then encrypt to bob with AES-256-GCM (AuthEnvelopedData)");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = super.exitCodes();
            codes.put(ExitCode.FAILED, "not encrypted (an unknown, signing-only or revoked recipient, a wrong token,"
                    + " the directory unreachable); nothing was written");
            return codes;
        }

        @Override
        int run() throws UsageException {
            ContentEncryptionAlgorithm forced = null;
            if (contentEncryption != null) {
                forced = CONTENT_ENCRYPTIONS.get(contentEncryption.toLowerCase(Locale.ROOT));
                if (forced == null) {
                    throw new UsageException("--content-encryption '" + contentEncryption + "' is not one of "
                            + String.join(", ", CONTENT_ENCRYPTIONS.keySet()));
                }
            }
            byte[] input = message.input();
            KmsContext kms = connection.context();
            try {
                MailKeys opened = keys.open();
                List<String> addresses = new ArrayList<>();
                if (to != null && !to.isEmpty()) {
                    to.forEach(address -> addresses.add(bareAddress(address)));
                } else {
                    addresses.addAll(SecureMail.recipientsOf(input));
                }
                if (addresses.isEmpty()) {
                    throw new UsageException("the message has no To, Cc or Bcc address: give --to ADDR");
                }
                X509Certificate own = opened.encryption().certificate();
                Set<X509Certificate> recipients = new LinkedHashSet<>();
                ContentEncryptionAlgorithm algorithm;
                try (LdapNetworkConnection ldap = connect(kms, anonymous)) {
                    MailDirectory directory = new LdapMailDirectory(ldap, kms.layout());
                    Authorities authorities = Authorities.of(directory);
                    CertificateCheck check = new CertificateCheck(authorities.certificates(), authorities.certificates(),
                            authorities.crls(), kms.clock());
                    for (String address : addresses) {
                        X509Certificate certificate = recipientCertificate(directory, address, kms);
                        CertificateCheck.Status status = check.check(certificate, List.of());
                        switch (status.verdict()) {
                            case GOOD -> { }
                            case UNTRUSTED -> err().println(messagePrefix() + ": note: the certificate of " + address
                                    + " is from " + certificate.getIssuerX500Principal().getName()
                                    + ", not a CA of the directory; encrypting to it as the directory publishes it");
                            default -> {
                                return failed("not encrypted: the certificate of " + address + " (serial "
                                        + certificate.getSerialNumber().toString(16) + ") is " + status.verdict().word()
                                        + (status.detail().isEmpty() ? "" : ": " + status.detail()));
                            }
                        }
                        recipients.add(certificate);
                    }
                    if (forced != null) {
                        algorithm = forced;
                    } else if (anonymous) {
                        // The group configuration is not public (docs/security.md): anonymous
                        // clients cannot read it, so the default applies.
                        algorithm = DEFAULT_CONTENT_ENCRYPTION;
                        err().println(messagePrefix() + ": note: without a bind your group's content encryption cannot"
                                + " be read; encrypting with aes256-cbc (give --content-encryption to choose)");
                    } else {
                        algorithm = senderContentEncryption(directory, opened);
                    }
                }
                recipients.add(own);
                byte[] encrypted = new SecureMail(kms.clock(), kms.random()).encrypt(input, recipients, algorithm,
                        sign ? opened : null);
                message.output(encrypted, this);
                return OK;
            } catch (SecureMailException e) {
                return failed(e.getMessage());
            } catch (NoSuchFileException e) {
                return failed("cannot read " + e.getFile() + ": give --data DIR of the server, or --password-file and"
                        + " --ca-cert");
            } catch (LdapException | GeneralSecurityException | DirectoryAccessException e) {
                return failed("cannot look the recipients up at " + kms.connection().url(), e, kms.connection());
            } catch (IOException e) {
                return failed(e.getMessage());
            }
        }

        private static X509Certificate recipientCertificate(MailDirectory directory, String address, KmsContext kms)
                throws SecureMailException {
            List<MailDirectory.MailEntry> entries = directory.findByMail(address);
            if (entries.isEmpty()) {
                throw new SecureMailException("not encrypted: " + address + " is not in the directory");
            }
            if (entries.size() > 1) {
                throw new SecureMailException("not encrypted: " + address + " is held by " + entries.size()
                        + " entries (" + entries.get(0).dn() + ", " + entries.get(1).dn() + "): ask the directory's"
                        + " administrator which is the person's");
            }
            try {
                return RecipientCertificates.choose(address, entries.get(0).certificates(), kms.clock().instant());
            } catch (SecureMailException e) {
                throw new SecureMailException("not encrypted: " + e.getMessage());
            }
        }

        /** {@code Bob <bob@example.com>} or {@code bob@example.com}: the address, lower case. */
        static String bareAddress(String given) {
            String address = given.strip();
            int open = address.lastIndexOf('<');
            int close = address.lastIndexOf('>');
            if (open >= 0 && close > open) {
                address = address.substring(open + 1, close).strip();
            }
            return address.toLowerCase(Locale.ROOT);
        }

        /** The sender's group's content encryption, found from the address in their certificate. */
        private static ContentEncryptionAlgorithm senderContentEncryption(MailDirectory directory, MailKeys keys) {
            Optional<String> address = keys.address();
            if (address.isEmpty()) {
                return DEFAULT_CONTENT_ENCRYPTION;
            }
            List<MailDirectory.MailEntry> entries = directory.findByMail(address.get());
            if (entries.size() != 1) {
                return DEFAULT_CONTENT_ENCRYPTION;
            }
            return directory.contentEncryption(entries.get(0)).orElse(DEFAULT_CONTENT_ENCRYPTION);
        }
    }

    /** {@code dirkms smime decrypt}. */
    @Command(name = "decrypt", description = {"Decrypt a message encrypted to one of your keys: the outer headers"
            + " around the inner entity (run 'dirkms smime verify' on it when it is signed)."})
    static final class Decrypt extends Subcommand {
        @Mixin
        KeyOptions keys;
        @Mixin
        MessageOptions message;

        @Override
        List<String> examples() {
            return List.of("dirkms smime decrypt --key-package jdoe.p12 --token-file token --in secret.eml --out"
                    + " mail.eml", "decrypt a message", "dirkms smime decrypt --key-package jdoe.p12 --token-file token"
                    + " < secret.eml | dirkms smime verify", "decrypt, then verify the signature inside");
        }

        @Override
        int run() throws UsageException {
            return withKeys(this, keys, message, SecureMail::decrypt);
        }
    }

    /** {@code dirkms smime verify}. */
    @Command(name = "verify", description = {"Verify a signed message (multipart/signed or signed-data) and write its"
            + " content with the outer headers.", "",
            "One line per signer on standard error: 'signer ADDRESS serial HEX: STATUS' with STATUS good, revoked"
                    + " (with the time and reason), untrusted (the issuer no trust anchor vouches for), expired,"
                    + " revocation-unknown, bad-signature or address-mismatch (From is not the certificate's"
                    + " address). The trust anchors are the directory's CA certificates, read over the"
                    + " authenticated connection, and --trust files; revocation is checked with the CRLs on the CA"
                    + " entries. The content is written only when every signer is good."})
    static final class Verify extends Subcommand {
        @Mixin
        MessageOptions message;
        @Mixin
        PersonConnectionOptions connection;

        @Option(names = "--anonymous", description = "read the CAs and CRLs without a bind, as mail clients do")
        boolean anonymous;

        @Option(names = "--trust", paramLabel = "CA.pem", description = "a CA certificate (PEM or DER) trusted besides"
                + " the directory's; repeat for more")
        List<Path> trust;

        @Override
        List<String> examples() {
            return List.of("dirkms smime verify --in signed.eml --out content.eml", "check a signed message",
                    "dirkms smime verify --trust partner-ca.pem < signed.eml > content.eml",
                    "also trust a partner's CA");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = super.exitCodes();
            codes.put(ExitCode.FAILED, "a signer is not good (revoked, untrusted, bad signature…), or the message is"
                    + " not signed; nothing was written");
            codes.put(ExitCode.NOT_CHECKED, "the directory could not be read: nothing was checked");
            return codes;
        }

        @Override
        int run() throws UsageException {
            byte[] input = message.input();
            List<X509Certificate> anchors = new ArrayList<>();
            if (trust != null) {
                for (Path file : trust) {
                    anchors.addAll(certificates(file));
                }
            }
            KmsContext kms = connection.context();
            SecureMail.Verified verified;
            try {
                verified = new SecureMail(kms.clock(), kms.random()).verify(input);
            } catch (SecureMailException e) {
                return failed(e.getMessage());
            }
            Authorities authorities;
            try (LdapNetworkConnection ldap = connect(kms, anonymous)) {
                authorities = Authorities.of(new LdapMailDirectory(ldap, kms.layout()));
            } catch (NoSuchFileException e) {
                err().println(messagePrefix() + ": cannot read " + e.getFile() + ": give --data DIR of the server, or"
                        + " --password-file and --ca-cert");
                return NOT_CHECKED;
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
                err().println(messagePrefix() + ": cannot read the CAs and CRLs at " + kms.connection().url() + ": "
                        + e.getMessage());
                return NOT_CHECKED;
            }
            anchors.addAll(authorities.certificates());
            CertificateCheck check = new CertificateCheck(anchors, authorities.certificates(), authorities.crls(),
                    kms.clock());
            boolean allGood = true;
            for (SecureMail.Signer signer : verified.signers()) {
                X509Certificate certificate = signer.certificate();
                String status;
                if (!signer.signatureValid()) {
                    status = "bad-signature: " + signer.failure();
                    allGood = false;
                } else {
                    CertificateCheck.Status result = check.check(certificate, verified.certificates());
                    if (!result.good()) {
                        allGood = false;
                        status = result.verdict().word() + (result.detail().isEmpty() ? "" : ": " + result.detail());
                    } else if (!signer.addressMatches()) {
                        allGood = false;
                        status = "address-mismatch: From is not an address of the signer's certificate";
                    } else {
                        status = "good" + (result.detail().isEmpty() ? "" : " (" + result.detail() + ")");
                    }
                }
                err().println("signer " + who(certificate) + " serial " + certificate.getSerialNumber().toString(16)
                        + (signer.signingTime() == null ? "" : " signed " + signer.signingTime()) + ": " + status);
            }
            if (!allGood) {
                return failed("not verified; nothing was written");
            }
            try {
                message.output(verified.message(), this);
            } catch (IOException e) {
                return failed("cannot write " + message.out + ": " + e.getMessage());
            }
            return OK;
        }

        private static List<X509Certificate> certificates(Path file) throws UsageException {
            byte[] bytes = read(file, "--trust");
            try {
                List<X509Certificate> certificates = new ArrayList<>();
                CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))
                        .forEach(certificate -> certificates.add((X509Certificate) certificate));
                if (certificates.isEmpty()) {
                    throw new UsageException("--trust " + file + " holds no certificate");
                }
                return certificates;
            } catch (CertificateException e) {
                throw new UsageException("--trust " + file + " is not a certificate (PEM or DER): " + e.getMessage());
            }
        }
    }
}
