package org.dirkms.it.interop;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;

/**
 * A mail client of the interoperability matrix, acting as a {@link MatrixUser}: it signs
 * (SignedData with the content inside, RFC 5652 section 5), verifies, encrypts (EnvelopedData,
 * or AuthEnvelopedData for AES-GCM, RFC 5083) and decrypts, with the files CMS travels in
 * between mail clients. Each step answers what the client said, for the matrix to show.
 */
interface MailClient {

    /** The content encryptions a sender can pick, as the matrix names them. */
    List<String> CONTENT_ENCRYPTIONS = List.of("aes256-gcm", "aes256-cbc", "3des");

    /** The client's name in the matrix. */
    String name();

    /** Signs {@code in} into {@code out} as {@code sender}. */
    Step sign(MatrixUser sender, Path in, Path out);

    /** Verifies the signed {@code in} as {@code recipient} would, writing the content to {@code out}. */
    Step verify(MatrixUser recipient, Path in, Path out);

    /**
     * Encrypts {@code in} into {@code out} from {@code sender} to {@code recipient}, with
     * {@code contentEncryption} (one of {@link #CONTENT_ENCRYPTIONS}), or the client's own default
     * (the sender's group's for dirkms) when null.
     */
    Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Path in, Path out);

    /** Signs as {@code sender} and encrypts to {@code recipient}, in the client's way, with its default. */
    Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Path in, Path work, Path out);

    /** Decrypts {@code in} as {@code recipient}, writing the plaintext to {@code out}. */
    Step decrypt(MatrixUser recipient, Path in, Path out);

    /**
     * What one step did.
     *
     * @param ok     whether it did what was asked
     * @param output what the client printed (standard output and error), for the matrix
     */
    record Step(boolean ok, String output) {

        static Step of(LdapTools.Result result) {
            return new Step(result.exitCode() == 0, result.stdout() + result.stderr());
        }

        static Step of(DirkmsRun run) {
            return new Step(run.code() == 0, run.out() + run.err());
        }
    }

    /** openssl 3.0's {@code cms} command. */
    final class Openssl implements MailClient {
        private final Path trusted;

        /** @param trusted the roots a recipient trusts (PEM, concatenated) */
        Openssl(Path trusted) {
            this.trusted = trusted;
        }

        @Override
        public String name() {
            return "openssl";
        }

        @Override
        public Step sign(MatrixUser sender, Path in, Path out) {
            return run("cms", "-sign", "-binary", "-nodetach", "-md", "sha256", "-in", in.toString(), "-signer",
                    sender.signingPem().toString(), "-inkey", sender.signingKey().toString(), "-outform", "DER", "-out",
                    out.toString());
        }

        @Override
        public Step verify(MatrixUser recipient, Path in, Path out) {
            return run("cms", "-verify", "-binary", "-inform", "DER", "-in", in.toString(), "-CAfile", trusted.toString(),
                    "-purpose", "smimesign", "-out", out.toString());
        }

        @Override
        public Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Path in, Path out) {
            String cipher = switch (contentEncryption == null ? "aes256-cbc" : contentEncryption) {
                case "aes256-gcm" -> "-aes-256-gcm";
                case "aes256-cbc" -> "-aes-256-cbc";
                case "3des" -> "-des3";
                default -> throw new IllegalArgumentException(contentEncryption);
            };
            return run("cms", "-encrypt", "-binary", cipher, "-in", in.toString(), "-outform", "DER", "-out",
                    out.toString(), recipient.encryptionPem().toString());
        }

        @Override
        public Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Path in, Path work, Path out) {
            Path signed = work.resolve("openssl-signed.p7m");
            Step sign = sign(sender, in, signed);
            return sign.ok() ? encrypt(sender, recipient, null, signed, out) : sign;
        }

        @Override
        public Step decrypt(MatrixUser recipient, Path in, Path out) {
            return run("cms", "-decrypt", "-binary", "-inform", "DER", "-in", in.toString(), "-recip",
                    recipient.encryptionPem().toString(), "-inkey", recipient.encryptionKey().toString(), "-out",
                    out.toString());
        }

        private static Step run(String... arguments) {
            List<String> command = new ArrayList<>(List.of("openssl"));
            command.addAll(List.of(arguments));
            return Step.of(LdapTools.run(command, Map.of(), null));
        }
    }

    /**
     * gpgsm 2.2 in each user's own home, CRL checks off: the partner CA publishes no CRL, and
     * {@code GpgsmUserPathIT} shows the CRL checks of dirkms' certificates.
     */
    final class GnupgSm implements MailClient {

        @Override
        public String name() {
            return "gpgsm";
        }

        @Override
        public Step sign(MatrixUser sender, Path in, Path out) {
            if (sender.gpgsmImport() != null) {
                return new Step(false, sender.gpgsmImport());
            }
            return Step.of(sender.gpgsm().runWithPassphrase(sender.passphrase(), "--disable-crl-checks", "-u",
                    id(sender.signing()), "--output", out.toString(), "--sign", in.toString()));
        }

        @Override
        public Step verify(MatrixUser recipient, Path in, Path out) {
            LdapTools.Result result = recipient.gpgsm().run("--disable-crl-checks", "--output", out.toString(),
                    "--verify", in.toString());
            return new Step(result.exitCode() == 0 && result.stderr().contains("Good signature"),
                    result.stdout() + result.stderr());
        }

        @Override
        public Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Path in, Path out) {
            String cipher = switch (contentEncryption == null ? "aes256-cbc" : contentEncryption) {
                case "aes256-gcm" -> "AES256-GCM";
                case "aes256-cbc" -> "AES256";
                case "3des" -> "3DES";
                default -> throw new IllegalArgumentException(contentEncryption);
            };
            return Step.of(sender.gpgsm().run("--disable-crl-checks", "--cipher-algo", cipher, "-r",
                    id(recipient.encryption()), "--output", out.toString(), "--encrypt", in.toString()));
        }

        @Override
        public Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Path in, Path work, Path out) {
            // gpgsm 2.2 signs and encrypts in two commands: the signed message is then encrypted.
            Path signed = work.resolve("gpgsm-signed.p7m");
            Step sign = sign(sender, in, signed);
            return sign.ok() ? encrypt(sender, recipient, null, signed, out) : sign;
        }

        @Override
        public Step decrypt(MatrixUser recipient, Path in, Path out) {
            if (recipient.gpgsmImport() != null) {
                return new Step(false, recipient.gpgsmImport());
            }
            return Step.of(recipient.gpgsm().runWithPassphrase(recipient.passphrase(), "--disable-crl-checks",
                    "--output", out.toString(), "--decrypt", in.toString()));
        }

        private static String id(java.security.cert.X509Certificate certificate) {
            try {
                return "0x" + Gpgsm.fingerprint(certificate).replace(":", "");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** {@code dirkms smime}, run in this JVM (the code path of the script). */
    final class Dirkms implements MailClient {
        private final List<String> directory;
        private final List<Path> trusted;

        /**
         * @param directory the directory connection flags ({@code --url}, {@code --ca-cert}, …)
         * @param trusted   the roots a recipient trusts (PEM files)
         */
        Dirkms(List<String> directory, List<Path> trusted) {
            this.directory = directory;
            this.trusted = trusted;
        }

        @Override
        public String name() {
            return "dirkms";
        }

        @Override
        public Step sign(MatrixUser sender, Path in, Path out) {
            List<String> arguments = withKeys(List.of("smime", "sign"), sender);
            arguments.addAll(List.of("--in", in.toString(), "--out", out.toString()));
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step verify(MatrixUser recipient, Path in, Path out) {
            List<String> arguments = new ArrayList<>(List.of("smime", "verify"));
            for (Path root : trusted) {
                arguments.addAll(List.of("--trust", root.toString()));
            }
            arguments.addAll(List.of("--in", in.toString(), "--out", out.toString()));
            arguments.addAll(directory);
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Path in, Path out) {
            List<String> arguments = withKeys(List.of("smime", "encrypt"), sender);
            arguments.addAll(List.of("--to", recipient.address()));
            if (contentEncryption != null) {
                arguments.addAll(List.of("--content-encryption", contentEncryption));
            }
            arguments.addAll(List.of("--in", in.toString(), "--out", out.toString()));
            arguments.addAll(directory);
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Path in, Path work, Path out) {
            List<String> arguments = withKeys(List.of("smime", "encrypt", "--sign"), sender);
            arguments.addAll(List.of("--to", recipient.address(), "--in", in.toString(), "--out", out.toString()));
            arguments.addAll(directory);
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step decrypt(MatrixUser recipient, Path in, Path out) {
            List<String> arguments = withKeys(List.of("smime", "decrypt"), recipient);
            arguments.addAll(List.of("--in", in.toString(), "--out", out.toString()));
            return Step.of(DirkmsRun.of(arguments));
        }

        private static List<String> withKeys(List<String> command, MatrixUser user) {
            List<String> arguments = new ArrayList<>(command);
            for (Path p12 : user.packages()) {
                arguments.addAll(List.of("--key-package", p12.toString()));
            }
            arguments.addAll(List.of("--token-file", user.passphraseFile().toString()));
            return arguments;
        }
    }
}
