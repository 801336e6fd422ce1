package org.dirkms.it.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;

/**
 * A mail client of the interoperability matrix, acting as a {@link MatrixUser} on S/MIME messages
 * (RFC 8551): it signs, verifies, encrypts (EnvelopedData, or AuthEnvelopedData for AES-GCM, RFC
 * 5083), signs and encrypts, and decrypts. Each step answers what the client said, for the
 * matrix to show.
 */
interface MailClient {

    /** The client's name in the matrix. */
    String name();

    /** Signs {@code letter} as {@code sender} into the message {@code out}. */
    Step sign(MatrixUser sender, Letter letter, Path work, Path out);

    /** Verifies the signed message {@code in} as {@code recipient}'s client does, writing what it shows to {@code out}. */
    Step verify(MatrixUser recipient, Path in, Path work, Path out);

    /**
     * Encrypts {@code letter} from {@code sender} to {@code recipient} into the message {@code out},
     * with {@code contentEncryption} ({@code aes256-gcm}, {@code aes256-cbc} or {@code 3des}).
     */
    Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Letter letter, Path work, Path out);

    /** Signs as {@code sender} and encrypts to {@code recipient}, the client's own way and default content encryption. */
    Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Letter letter, Path work, Path out);

    /** Decrypts the message {@code in} as {@code recipient}, writing what it holds to {@code out}. */
    Step decrypt(MatrixUser recipient, Path in, Path work, Path out);

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

    /** openssl 3.0's {@code cms} command, which reads and writes S/MIME itself. */
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
        public Step sign(MatrixUser sender, Letter letter, Path work, Path out) {
            return run("cms", "-sign", "-md", "sha256", "-in", letter.entity().toString(), "-signer",
                    sender.signingPem().toString(), "-inkey", sender.signingKey().toString(), "-from", letter.from(),
                    "-to", letter.to(), "-subject", letter.subject(), "-out", out.toString());
        }

        @Override
        public Step verify(MatrixUser recipient, Path in, Path work, Path out) {
            return run("cms", "-verify", "-in", in.toString(), "-CAfile", trusted.toString(), "-purpose", "smimesign",
                    "-out", out.toString());
        }

        @Override
        public Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Letter letter, Path work,
                Path out) {
            return encrypt(recipient, contentEncryption, letter, letter.entity(), out);
        }

        private Step encrypt(MatrixUser recipient, String contentEncryption, Letter letter, Path entity, Path out) {
            String cipher = switch (contentEncryption) {
                case "aes256-gcm" -> "-aes-256-gcm";
                case "aes256-cbc" -> "-aes-256-cbc";
                case "3des" -> "-des3";
                default -> throw new IllegalArgumentException(contentEncryption);
            };
            return run("cms", "-encrypt", cipher, "-in", entity.toString(), "-from", letter.from(), "-to", letter.to(),
                    "-subject", letter.subject(), "-out", out.toString(), recipient.encryptionPem().toString());
        }

        @Override
        public Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Letter letter, Path work, Path out) {
            // The signed entity (multipart/signed, no outer headers) is what gets encrypted.
            Path signed = work.resolve("openssl-signed.eml");
            Step sign = run("cms", "-sign", "-md", "sha256", "-in", letter.entity().toString(), "-signer",
                    sender.signingPem().toString(), "-inkey", sender.signingKey().toString(), "-out", signed.toString());
            return sign.ok() ? encrypt(recipient, "aes256-cbc", letter, signed, out) : sign;
        }

        @Override
        public Step decrypt(MatrixUser recipient, Path in, Path work, Path out) {
            return run("cms", "-decrypt", "-in", in.toString(), "-recip", recipient.encryptionPem().toString(), "-inkey",
                    recipient.encryptionKey().toString(), "-out", out.toString());
        }

        private static Step run(String... arguments) {
            List<String> command = new ArrayList<>(List.of("openssl"));
            command.addAll(List.of(arguments));
            return Step.of(LdapTools.run(command, Map.of(), null));
        }
    }

    /**
     * gpgsm 2.2 in each user's own home, with the MIME around its CMS made and read as a mail
     * program does ({@link MimeParts}). CRL checks are off: the partner CA publishes no CRL, and
     * {@code GpgsmUserPathIT} shows the CRL checks of dirkms' certificates.
     */
    final class GnupgSm implements MailClient {

        @Override
        public String name() {
            return "gpgsm";
        }

        @Override
        public Step sign(MatrixUser sender, Letter letter, Path work, Path out) {
            return signEntity(sender, letter.entity(), letter.outerHeaders(), work, out);
        }

        private static Step signEntity(MatrixUser sender, Path entity, String headers, Path work, Path out) {
            if (sender.gpgsmImport() != null) {
                return new Step(false, sender.gpgsmImport());
            }
            Path signature = work.resolve("gpgsm.p7s");
            Step step = Step.of(sender.gpgsm().runWithPassphrase(sender.passphrase(), "-u",
                    id(sender.signing()), "--output", signature.toString(), "--detach-sign", entity.toString()));
            if (step.ok()) {
                write(out, MimeParts.multipartSigned(headers, read(entity), read(signature)));
            }
            return step;
        }

        @Override
        public Step verify(MatrixUser recipient, Path in, Path work, Path out) {
            MimeParts.Parsed parsed = MimeParts.parse(read(in));
            Path cms = write(work.resolve("gpgsm-in.p7s"), parsed.cms());
            LdapTools.Result result;
            if (parsed.signedPart() != null) {
                Path part = write(work.resolve("gpgsm-signed-part.txt"), parsed.signedPart());
                result = recipient.gpgsm().run("--verify", cms.toString(), part.toString());
                if (result.exitCode() == 0) {
                    write(out, parsed.signedPart());
                }
            } else {
                result = recipient.gpgsm().run("--output", out.toString(), "--verify",
                        cms.toString());
            }
            return new Step(result.exitCode() == 0 && result.stderr().contains("Good signature"),
                    result.stdout() + result.stderr());
        }

        @Override
        public Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Letter letter, Path work,
                Path out) {
            return encryptEntity(sender, recipient, contentEncryption, letter.entity(), letter.outerHeaders(), work, out);
        }

        private static Step encryptEntity(MatrixUser sender, MatrixUser recipient, String contentEncryption, Path entity,
                String headers, Path work, Path out) {
            String cipher = switch (contentEncryption) {
                case "aes256-gcm" -> "AES256-GCM";
                case "aes256-cbc" -> "AES256";
                case "3des" -> "3DES";
                default -> throw new IllegalArgumentException(contentEncryption);
            };
            Path cms = work.resolve("gpgsm.p7m");
            Step step = Step.of(sender.gpgsm().run("--cipher-algo", cipher, "-r",
                    id(recipient.encryption()), "--output", cms.toString(), "--encrypt", entity.toString()));
            if (step.ok()) {
                write(out, MimeParts.pkcs7Mime(headers, "enveloped-data", read(cms)));
            }
            return step;
        }

        @Override
        public Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Letter letter, Path work, Path out) {
            // gpgsm 2.2 signs and encrypts in two commands: the signed entity is then encrypted.
            Path signed = work.resolve("gpgsm-signed.eml");
            Step sign = signEntity(sender, letter.entity(), "", work, signed);
            return sign.ok() ? encryptEntity(sender, recipient, "aes256-cbc", signed, letter.outerHeaders(), work, out)
                    : sign;
        }

        @Override
        public Step decrypt(MatrixUser recipient, Path in, Path work, Path out) {
            if (recipient.gpgsmImport() != null) {
                return new Step(false, recipient.gpgsmImport());
            }
            Path cms = write(work.resolve("gpgsm-in.p7m"), MimeParts.parse(read(in)).cms());
            // Judged by gpgsm's status line, as the mail programs that drive it through GPGME do: gpgsm
            // 2.2 exits 2 after a RecipientInfo it holds no key for (the sender's own, say) even when it
            // then decrypts with the next one.
            LdapTools.Result result = recipient.gpgsm().runWithPassphrase(recipient.passphrase(), "--status-fd", "1",
                    "--output", out.toString(), "--decrypt", cms.toString());
            return new Step(result.stdout().contains("[GNUPG:] DECRYPTION_OKAY"), result.stdout() + result.stderr());
        }

        private static String id(X509Certificate certificate) {
            try {
                return "0x" + Gpgsm.fingerprint(certificate).replace(":", "");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        private static byte[] read(Path file) {
            try {
                return Files.readAllBytes(file);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static Path write(Path file, byte[] bytes) {
            try {
                return Files.write(file, bytes);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** {@code dirkms smime}, run in this JVM (the code path of the script), bound as the user. */
    final class Dirkms implements MailClient {
        private final List<String> directory;
        private final List<Path> trusted;

        /**
         * @param directory the directory's {@code --url} and {@code --ca-cert}
         * @param trusted   the roots a recipient trusts besides the directory's (PEM files)
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
        public Step sign(MatrixUser sender, Letter letter, Path work, Path out) {
            List<String> arguments = withKeys(List.of("smime", "sign"), sender);
            arguments.addAll(List.of("--in", letter.message().toString(), "--out", out.toString()));
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step verify(MatrixUser recipient, Path in, Path work, Path out) {
            List<String> arguments = new ArrayList<>(List.of("smime", "verify"));
            for (Path root : trusted) {
                arguments.addAll(List.of("--trust", root.toString()));
            }
            arguments.addAll(List.of("--in", in.toString(), "--out", out.toString()));
            arguments.addAll(connection(recipient));
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step encrypt(MatrixUser sender, MatrixUser recipient, String contentEncryption, Letter letter, Path work,
                Path out) {
            List<String> arguments = withKeys(List.of("smime", "encrypt"), sender);
            arguments.addAll(List.of("--to", recipient.address(), "--content-encryption", contentEncryption, "--in",
                    letter.message().toString(), "--out", out.toString()));
            arguments.addAll(connection(sender));
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step signAndEncrypt(MatrixUser sender, MatrixUser recipient, Letter letter, Path work, Path out) {
            List<String> arguments = withKeys(List.of("smime", "encrypt", "--sign"), sender);
            arguments.addAll(List.of("--to", recipient.address(), "--in", letter.message().toString(), "--out",
                    out.toString()));
            arguments.addAll(connection(sender));
            return Step.of(DirkmsRun.of(arguments));
        }

        @Override
        public Step decrypt(MatrixUser recipient, Path in, Path work, Path out) {
            List<String> arguments = withKeys(List.of("smime", "decrypt"), recipient);
            arguments.addAll(List.of("--in", in.toString(), "--out", out.toString()));
            return Step.of(DirkmsRun.of(arguments));
        }

        private List<String> connection(MatrixUser user) {
            List<String> arguments = new ArrayList<>(directory);
            arguments.addAll(List.of("--bind-dn", user.dn(), "--password-file", user.passwordFile().toString()));
            return arguments;
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
