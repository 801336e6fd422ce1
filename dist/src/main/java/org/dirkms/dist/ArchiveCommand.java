package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.escrow.ArchiveAudit;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.escrow.ArchiveRewrap;
import org.dirkms.agent.escrow.RecoveryKeyRetirement;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.LdapEnumeration;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms archive}: the key archive as an administrator looks after it (README, "Checking
 * the key archive" and "Rotating the key recovery key").
 * <ul>
 * <li>{@code check} reads every KMS user and every archive record over the agent's protected
 * connection, unwraps each archived key with the recovery key store's keys (all of them, current
 * and earlier), and prints one line per problem ({@link ArchiveAudit.Finding}) and a summary line:
 * exit 0 when clean, 1 when problems were found, 3 when the check could not run;</li>
 * <li>{@code rekey} makes a new recovery key, certified by the CA, and publishes it as current;</li>
 * <li>{@code rewrap} re-wraps every archived key to the current key, online and resumable
 * ({@link ArchiveRewrap});</li>
 * <li>{@code retire} removes an old key from the store once no record is wrapped to it
 * ({@link RecoveryKeyRetirement}).</li>
 * </ul>
 * Under custody (docs/custody.md, "Archive operations under custody") the keys come from
 * {@link ArchiveKeys}: rebuilt from the shares M recovery agents give to a custody session, in
 * memory only. Nothing any of them prints contains key material; 2 is a usage error for each.
 */
@Command(name = "archive", description = {"Check the key archive, and rotate its recovery key online: check, rekey,"
        + " rewrap, retire.", "", ArchiveCommand.FINDINGS, "", ArchiveCommand.ROTATION},
        subcommands = {ArchiveCommand.Check.class, ArchiveCommand.Rekey.class, ArchiveCommand.Rewrap.class,
            ArchiveCommand.Retire.class, ArchiveCustodyCommand.class})
final class ArchiveCommand extends Subcommand {

    /** What the check's lines start with and mean, for both help texts. */
    static final String FINDINGS = "Each problem is one line, starting with:%n"
            + "  unrecoverable     a record that does not unwrap (unknown recovery key, damaged CMS)%n"
            + "  key-mismatch      a record whose key is not the key of its certificate%n"
            + "  missing-archive   a published encryption certificate with no archive record%n"
            + "  missing-history   a record a user's kmsArchiveRecord lists (each enrollment lists the record of the"
            + " key it published) that no longer exists%n"
            + "  orphan            a record whose owner is gone, or whose certificate was never published"
            + " (records of superseded or revoked certificates are history, kept on purpose, and not reported)%n"
            + "  duplicate         a certificate on two users, twice among one user's children or in two records;"
            + " two encryption certificates on one enrolled user%n"
            + "No key material is ever printed.";

    /** How an administrator rotates the recovery key, for the help texts. */
    static final String ROTATION = "Rotating the key recovery key, while the KMS runs:%n"
            + "  1. dirkms archive rekey       a new recovery key, certified by the CA, current for new archives%n"
            + "  2. dirkms archive rewrap      every archived key re-wrapped to it (resumable: run it again)%n"
            + "  3. dirkms archive retire --key OLD   the old key leaves the store once no record needs it%n"
            + "  4. dirkms archive check       every archived key still recovers, with the new key alone%n"
            + "Under custody ('dirkms archive custody') each opens a custody session, prints what the recovery agents"
            + " run ('dirkms recovery approve SESSION --key-package F') and waits for M of them (--wait-minutes);"
            + " the keys are rebuilt in its memory only, and rekey and retire seal them again under the same shares"
            + " (docs/custody.md).";

    /** Without an action: a usage error naming it. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms archive check --data data", "check the archive of the local 'dirkms serve'",
                "dirkms archive rekey --data data", "a new recovery key; then 'rewrap', 'retire' and 'check'");
    }

    /** {@code dirkms archive check}. */
    @Command(name = "check", description = {"Walk every KMS user and every record under ou=Key Archive, unwrap each"
            + " archived key with the recovery keys and print one line per problem, then a summary line.", "",
            FINDINGS, "",
            "By default it checks the running local 'dirkms serve' with what its data folder holds (recovery/, the"
                    + " agent's identity, tls/ca.crt); against a remote server it takes the agent's flags and a copy"
                    + " of the recovery key store. Under custody (DIR/recovery/custody) it opens a custody session"
                    + " and waits for M recovery agents to approve it (--wait-minutes); the keys are rebuilt in its"
                    + " memory only (docs/custody.md)."})
    static final class Check extends Subcommand {

        @Mixin
        ConnectionOptions connection;

        @Option(names = "--recovery-key", paramLabel = "F",
                description = "a copy of the recovery key store (PKCS#12) holding every recovery key (default"
                        + " DIR/recovery/key-recovery-agent.p12)")
        Path recoveryKey;

        @Option(names = "--recovery-passphrase-file", paramLabel = "F",
                description = "its passphrase, first line (needed with --recovery-key; default"
                        + " DIR/recovery/key-recovery-agent.pass)")
        Path recoveryPassphrase;

        @Option(names = "--wait-minutes", paramLabel = "N", description = WAIT)
        String waitMinutes;

        @Option(names = "--json", description = "the report as one JSON object on standard output: usersChecked,"
                + " recordsChecked, keysUnwrapped, neverPublished, clean, and findings, an array of objects with problem, dns and"
                + " message (README, \"JSON output\")")
        boolean json;

        @Override
        List<String> examples() {
            return List.of("dirkms archive check --data data", "the local server's archive, with data's recovery keys",
                    "dirkms archive check --json", "the same report as JSON, for monitoring scripts",
                    "dirkms archive check --url ldaps://directory.example.com:10636 --bind-dn"
                            + " uid=kms-agent,ou=KMS,dc=example,dc=com --password-file agent.password --ca-cert ca.pem"
                            + " --recovery-key kra.p12 --recovery-passphrase-file kra.pass",
                    "a remote server's archive, with a copy of the recovery key store");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = new LinkedHashMap<>();
            codes.put(ExitCode.OK, "no problems");
            codes.put(ExitCode.FAILED, "problems found");
            codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
            codes.put(ExitCode.NOT_CHECKED, "the check could not run (key store or directory unreachable, or under"
                    + " custody the recovery agents did not approve in time): nothing was checked");
            return codes;
        }

        @Override
        int run() throws UsageException {
            if ((recoveryKey == null) != (recoveryPassphrase == null)) {
                throw new UsageException("--recovery-key and --recovery-passphrase-file go together");
            }
            int wait = waitMinutes(waitMinutes);
            KmsContext kms = connection.context();
            boolean custody = recoveryKey == null && ArchiveKeys.underCustody(kms);
            KeyRecoverer recoverer = null;
            if (!custody) {
                Path key = recoveryKey != null ? recoveryKey : kms.dataFolder().recoveryKeyStore();
                Path passphrase = recoveryPassphrase != null ? recoveryPassphrase
                        : kms.dataFolder().recoveryPassphrase();
                for (Path file : List.of(key, passphrase)) {
                    if (!Files.isReadable(file)) {
                        throw new UsageException("cannot read " + file + (recoveryKey == null ? ": give --data DIR of"
                                + " the server, or --recovery-key and --recovery-passphrase-file" : ""));
                    }
                }
                try {
                    recoverer = new KeyRecoverer(RecoveryKeyStore.open(key, passphrase).keys());
                } catch (IllegalArgumentException e) {
                    // The message names the file, never the passphrase.
                    err().println(messagePrefix() + ": " + e.getMessage());
                    return NOT_CHECKED;
                }
            }
            PrintWriter out = out();
            ArchiveKeys rebuilt = null;
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
                if (custody) {
                    // With --json the session's lines go to standard error: standard output is the document.
                    rebuilt = ArchiveKeys.rebuild(kms, directory, "dirkms archive check: unwrap every archived key",
                            Duration.ofMinutes(wait), json ? err() : out).orElse(null);
                    if (rebuilt == null) {
                        err().println(messagePrefix() + ": the recovery agents did not give their shares within " + wait
                                + " minutes; nothing was checked");
                        return NOT_CHECKED;
                    }
                    recoverer = new KeyRecoverer(rebuilt.keys());
                }
                ArchiveAudit.Report report = kms.archiveAudit(directory, recoverer).run();
                if (json) {
                    JsonOutput.print(out, json(report));
                    return report.clean() ? OK : FAILED;
                }
                for (ArchiveAudit.Finding finding : report.findings()) {
                    out.println(finding);
                }
                out.println(report.summary());
                return report.clean() ? OK : FAILED;
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | IllegalStateException e) {
                err().println(messagePrefix() + ": cannot check the archive at " + kms.connection().url() + ": "
                        + e.getMessage());
                return NOT_CHECKED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err().println(messagePrefix() + ": interrupted while waiting for the recovery agents; nothing was"
                        + " checked");
                return NOT_CHECKED;
            } finally {
                if (rebuilt != null) {
                    rebuilt.close();
                }
            }
        }
    }

    /**
     * The {@code --json} document of {@code archive check}: a report, not a listing, so one object
     * holding the counts of its summary line and its findings as an array, each with the
     * problem's label ({@code unrecoverable}, {@code key-mismatch}, ...), the DNs it concerns and
     * its message.
     */
    static ObjectNode json(ArchiveAudit.Report report) {
        ObjectNode document = JsonOutput.object();
        document.put("usersChecked", report.usersChecked());
        document.put("recordsChecked", report.recordsChecked());
        document.put("keysUnwrapped", report.keysUnwrapped());
        document.put("neverPublished", report.neverPublished());
        document.put("clean", report.clean());
        ArrayNode findings = document.putArray("findings");
        for (ArchiveAudit.Finding finding : report.findings()) {
            ObjectNode each = findings.addObject();
            each.put("problem", finding.problem().label());
            finding.dns().forEach(each.putArray("dns")::add);
            each.put("message", finding.message());
        }
        return document;
    }

    /** The help of {@code --wait-minutes}, for each action. */
    static final String WAIT = "under custody: how long to wait for the recovery agents to approve the custody session"
            + " (default 60)";

    /** The minutes of {@code --wait-minutes}, 60 when not given. */
    static int waitMinutes(String value) throws UsageException {
        return Numbers.integer("--wait-minutes", value, 60, 1, 7 * 24 * 60);
    }

    /** The store of {@code kms}'s data folder, or a usage error naming what is missing. */
    static RecoveryKeyStore openStore(KmsContext kms) throws UsageException {
        if (!RecoveryKeyStore.exists(kms.dataFolder())) {
            throw new UsageException("there is no recovery key store " + kms.dataFolder().recoveryKeyStore()
                    + ": give --data DIR, the data folder of the server where the KMS runs");
        }
        return kms.openRecoveryKeyStore();
    }

    /** {@code dirkms archive rekey}. */
    @Command(name = "rekey", description = {"Make a new key recovery key, current for every new archive.",
        "",
        "The CA (its key store in DIR/ca/) issues the new key a certificate with the key recovery agent template;"
                + " the key goes into DIR/recovery/key-recovery-agent.p12 beside the earlier ones, which stay, and its"
                + " certificate is published at cn=Key Recovery Agent,ou=KMS, which every KMS agent reads before it"
                + " archives: a running 'dirkms serve' or 'dirkms agent' wraps the next key it archives to the new"
                + " key, with no restart. Archived keys stay wrapped to the old key until 'dirkms archive rewrap'.",
        "",
        ROTATION})
    static final class Rekey extends Subcommand {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--ca-name", paramLabel = "CN", defaultValue = CaCommand.DEFAULT_NAME,
                description = "the CA that certifies the key (default \"${DEFAULT-VALUE}\"); its key store is"
                        + " DIR/ca/<name>.p12")
        String caName;

        @Option(names = "--passphrase-file", paramLabel = "F",
                description = "the CA key store passphrase, first line (default DIR/ca/<name>.pass)")
        Path passphraseFile;

        @Option(names = "--key-algorithm", paramLabel = "ALG",
                description = "the new key: EC-P384 (the default), EC-P256, RSA-3072 or RSA-2048")
        String keyAlgorithm;

        @Override
        List<String> examples() {
            return List.of("dirkms archive rekey --data data", "a new recovery key for the local 'dirkms serve'",
                    "dirkms archive rekey --data data --key-algorithm RSA-3072", "an RSA recovery key");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = super.exitCodes();
            codes.put(ExitCode.OK, "the new key is current (or a rekey that had stopped before publishing its key"
                    + " is finished)");
            codes.put(ExitCode.FAILED, "the CA refused, the directory or a file failed, or under custody the recovery"
                    + " agents did not approve in time; the keys are as they were, or hold a new key the directory does"
                    + " not publish yet, which the next rekey publishes");
            return codes;
        }

        @Option(names = "--wait-minutes", paramLabel = "N", description = WAIT)
        String waitMinutes;

        @Override
        int run() throws UsageException {
            KmsContext kms = connection.context();
            KeyAlgorithm algorithm = KmsContext.RECOVERY_KEY_ALGORITHM;
            if (keyAlgorithm != null) {
                try {
                    algorithm = LdapEnumeration.parse(KeyAlgorithm.class, "--key-algorithm", keyAlgorithm);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            int wait = waitMinutes(waitMinutes);
            if (ArchiveKeys.underCustody(kms)) {
                return rekeyUnderCustody(kms, algorithm, wait);
            }
            RecoveryKeyStore before = openStore(kms);
            PrintWriter out = out();
            try (LdapNetworkConnection directory = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                ArchiveKeys.of(kms, directory, before);
                if (kms.publishRecoveryCertificate(directory, before) == KmsContext.Publication.UPDATED) {
                    out.println("the newest key of " + before.file() + ", " + before.current().keyId() + ", was not"
                            + " published yet (a rekey stopped before it did): it is now current for new archives;"
                            + " run 'dirkms archive rekey' again for another key");
                    return OK;
                }
                CertificationAuthority ca = kms.openCa(directory, caName, passphraseFile != null ? passphraseFile
                        : kms.dataFolder().caPassphrase(caName));
                RecoveryKeyStore after = kms.rekey(directory, ca, algorithm);
                RecoveryKey key = after.current();
                printNewKey(out, kms, key, algorithm, "the store keeps the earlier keys: ", after.keys());
                int older = kms.archiveRewrap(directory, after, 1, 1).list().toRewrap().size();
                out.println(older + " archive records are wrapped to earlier keys"
                        + (older > 0 ? ": run 'dirkms archive rewrap'" : ""));
                return OK;
            } catch (IssuanceRefusedException e) {
                return failed("the CA refused the key recovery agent certificate: " + e.getMessage());
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | IllegalArgumentException | IllegalStateException e) {
                return failed(kms, e);
            }
        }

        /**
         * Under custody: the CA (whose key store stays in the data folder) certifies a new key made in
         * memory; it joins the keys rebuilt from the agents' shares, which are sealed again under the
         * same custody secret (test-and-set on the sealed keys they were rebuilt from), so that every
         * agent's share stays valid; only then is its certificate published. Nothing of it is
         * written to the data folder.
         */
        private int rekeyUnderCustody(KmsContext kms, KeyAlgorithm algorithm, int wait) {
            PrintWriter out = out();
            ArchiveKeys keys = null;
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
                // The CA first: a wrong passphrase fails before the recovery agents are called in.
                CertificationAuthority ca = kms.openCa(directory, caName, passphraseFile != null ? passphraseFile
                        : kms.dataFolder().caPassphrase(caName));
                keys = ArchiveKeys.rebuild(kms, directory, "dirkms archive rekey: add a new recovery key to the"
                        + " custody", Duration.ofMinutes(wait), out).orElse(null);
                if (keys == null) {
                    return failed("the recovery agents did not give their shares within " + wait + " minutes; nothing"
                            + " changed");
                }
                var recoveryKeys = kms.recoveryKeyRecords(directory);
                java.util.Optional<byte[]> published = recoveryKeys.currentRecoveryCertificate();
                byte[] newest = keys.current().certificate().getEncoded();
                if (published.isEmpty() || !java.util.Arrays.equals(published.get(), newest)) {
                    if (published.isPresent() && keys.keys().stream().noneMatch(k -> sameCertificate(k, published.get()))) {
                        return failed("the directory publishes a recovery certificate that custody " + keys.custody().id()
                                + " does not hold: new archives are wrapped to a key nobody can open; nothing changed");
                    }
                    // A rekey under custody that sealed its key and stopped before publishing it.
                    recoveryKeys.publishRecoveryCertificate(newest);
                    out.println("the newest key of custody " + keys.custody().id() + ", " + keys.current().keyId()
                            + ", was not published yet (a rekey stopped before it did): it is now current for new"
                            + " archives; run 'dirkms archive rekey' again for another key");
                    return OK;
                }
                RecoveryKey key = kms.newRecoveryKey(ca, algorithm);
                List<RecoveryKey> all = new java.util.ArrayList<>();
                all.add(key);
                all.addAll(keys.keys());
                byte[] sealed = keys.rebuilt().reseal(all, kms.random());
                if (!kms.custodyRecords(directory).reseal(keys.custody().id(), keys.custody().sealedKeys(), sealed)) {
                    return failed("the custody of the recovery keys changed while this ran (another rekey, retire or"
                            + " re-split?); nothing changed by this run");
                }
                // Sealed first, published after: no agent ever wraps to a key the custody does not hold.
                recoveryKeys.publishRecoveryCertificate(key.certificate().getEncoded());
                printNewKey(out, kms, key, algorithm, "custody " + keys.custody().id() + " holds it with the earlier"
                        + " keys, under the same shares: ", all);
                int older = kms.archiveRewrap(directory, all, 1, 1).list().toRewrap().size();
                out.println(older + " archive records are wrapped to earlier keys"
                        + (older > 0 ? ": run 'dirkms archive rewrap'" : ""));
                return OK;
            } catch (IssuanceRefusedException e) {
                return failed("the CA refused the key recovery agent certificate: " + e.getMessage() + "; nothing"
                        + " changed");
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | IllegalArgumentException | IllegalStateException e) {
                return failed(kms, e);
            } catch (InterruptedException e) {
                return interruptedWaitingForAgents();
            } finally {
                if (keys != null) {
                    keys.close();
                }
            }
        }

        private static void printNewKey(PrintWriter out, KmsContext kms, RecoveryKey key, KeyAlgorithm algorithm,
                String kept, List<RecoveryKey> all) {
            out.println("recovery key " + key.keyId() + " (" + algorithm.ldapValue() + ", certificate serial "
                    + key.certificate().getSerialNumber().toString(16) + ", valid until "
                    + key.certificate().getNotAfter().toInstant() + ") is current for new archives");
            out.println("  published at " + kms.recoveryAgentDn() + ": running agents archive to it from their"
                    + " next enrollment");
            out.println("  " + kept + all.stream().skip(1).map(RecoveryKey::keyId)
                    .collect(java.util.stream.Collectors.joining(", ")));
        }
    }

    /** Whether {@code key}'s certificate is {@code der}. */
    static boolean sameCertificate(RecoveryKey key, byte[] der) {
        try {
            return java.util.Arrays.equals(key.certificate().getEncoded(), der);
        } catch (java.security.cert.CertificateEncodingException e) {
            return false;
        }
    }

    /** {@code dirkms archive rewrap}. */
    @Command(name = "rewrap", description = {"Re-wrap every archived key to the current recovery key, online.",
        "",
        "It lists the archive, skips the records wrapped to the current key already, and re-wraps the others in"
                + " batches (one search each) on several workers: each key is unwrapped with the store's keys, wrapped"
                + " to the current key, unwrapped again with the current key alone and compared with the key before,"
                + " and only then written, with a test-and-set on the wrapped key it replaces, so that nothing the"
                + " running KMS, another rewrap or a crash does loses a key. Stopped or killed at any moment, it goes"
                + " on where it stopped when run again. A record that cannot be re-wrapped keeps its wrap and is"
                + " listed (not-rewrapped: DN: why). A progress bar on a terminal; a line per tenth otherwise.",
        "",
        ROTATION})
    static final class Rewrap extends Subcommand {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--batch-size", paramLabel = "N",
                description = "records read with one search (default " + ArchiveRewrap.DEFAULT_BATCH_SIZE + ")")
        String batchSize;

        @Option(names = "--workers", paramLabel = "N",
                description = "records re-wrapped at once (default: the number of processors)")
        String workers;

        @Option(names = "--wait-minutes", paramLabel = "N", description = WAIT)
        String waitMinutes;

        @Override
        List<String> examples() {
            return List.of("dirkms archive rewrap --data data", "re-wrap the archive of the local 'dirkms serve'",
                    "dirkms archive rewrap --data data --workers 1 --batch-size 20", "gently, on a busy server");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = super.exitCodes();
            codes.put(ExitCode.OK, "every archived key is wrapped to the current recovery key");
            codes.put(ExitCode.FAILED, "some records could not be re-wrapped (listed), the directory failed, or under"
                    + " custody the recovery agents did not approve in time; what was re-wrapped stays, and running it"
                    + " again goes on from there");
            return codes;
        }

        @Override
        int run() throws UsageException {
            int batch = Numbers.integer("--batch-size", batchSize, ArchiveRewrap.DEFAULT_BATCH_SIZE, 1, 10_000);
            int threads = Numbers.integer("--workers", workers, Runtime.getRuntime().availableProcessors(), 1, 64);
            int wait = waitMinutes(waitMinutes);
            KmsContext kms = connection.context();
            boolean custody = ArchiveKeys.underCustody(kms);
            RecoveryKeyStore store = custody ? null : openStore(kms);
            PrintWriter out = out();
            ArchiveKeys keys = null;
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
                keys = custody ? ArchiveKeys.rebuild(kms, directory, "dirkms archive rewrap: re-wrap every archived key"
                        + " to the current recovery key", Duration.ofMinutes(wait), out).orElse(null)
                        : ArchiveKeys.of(kms, directory, store);
                if (keys == null) {
                    return failed("the recovery agents did not give their shares within " + wait + " minutes; nothing"
                            + " was re-wrapped");
                }
                java.util.Optional<byte[]> published = kms.recoveryKeyRecords(directory).currentRecoveryCertificate();
                if (published.isPresent() && !java.util.Arrays.equals(published.get(),
                        keys.current().certificate().getEncoded())) {
                    return failed("the directory publishes another recovery certificate as current than the newest key"
                            + " of " + keys.where() + " (" + keys.current().keyId() + "): run 'dirkms archive rekey'"
                            + (custody ? "" : " with this data folder") + " first, so that new archives and the"
                            + " re-wrap use the same key");
                }
                ArchiveRewrap rewrap = kms.archiveRewrap(directory, keys.keys(), batch, threads);
                ArchiveRewrap.Listing listing = rewrap.list();
                out.println("re-wrapping " + listing.toRewrap().size() + " of " + listing.records()
                        + " archive records to recovery key " + keys.current().keyId());
                out.flush();
                ArchiveRewrap.Summary summary;
                try (ProgressDisplay progress = ProgressDisplay.start(out, "rewrap", "records", "re-wrapped",
                        listing.toRewrap().size(), System.console() != null)) {
                    summary = rewrap.rewrap(listing.toRewrap(), (done, total) -> progress.update(done));
                }
                summary.failures().forEach(out::println);
                out.println(new ArchiveRewrap.Summary(listing.records(), listing.records() - listing.toRewrap().size()
                        + summary.skipped(), summary.rewrapped(), summary.raced(), summary.failures()));
                if (!summary.complete()) {
                    return FAILED;
                }
                List<String> older = keys.keys().stream().skip(1).map(RecoveryKey::keyId).toList();
                if (!older.isEmpty()) {
                    out.println("then retire the earlier keys: " + older.stream().map(id -> "dirkms archive retire"
                            + " --key " + id).collect(java.util.stream.Collectors.joining("; ")));
                }
                return OK;
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | IllegalStateException e) {
                return failed("the re-wrap stopped: " + e.getMessage() + "; what was re-wrapped stays, run it again to"
                        + " go on");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return failed("interrupted; run it again to go on (re-wrapped records are skipped)");
            } finally {
                if (keys != null) {
                    keys.close();
                }
            }
        }
    }

    /** {@code dirkms archive retire}. */
    @Command(name = "retire", description = {"Remove an old recovery key from the store once no archived key needs it.",
        "",
        "It reads every archive record in the directory and tells from its CMS recipient which key it is wrapped"
                + " to; only when none is wrapped to --key any more (after 'dirkms archive rewrap') does the key leave"
                + " DIR/recovery/key-recovery-agent.p12. The current key is never retired. Keep a backup of the store"
                + " until 'dirkms archive check' passes.",
        "",
        ROTATION})
    static final class Retire extends Subcommand {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--key", paramLabel = "ID", required = true,
                description = "the recovery key to retire: its id (sha256:...), or the start of it with at least 8"
                        + " hex digits, as 'dirkms archive rekey' and 'rewrap' print it")
        String key;

        @Override
        List<String> examples() {
            return List.of("dirkms archive retire --data data --key sha256:3c1f09a2",
                    "retire the old key once every record is re-wrapped");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = super.exitCodes();
            codes.put(ExitCode.OK, "the key is no longer in the store");
            codes.put(ExitCode.FAILED, "refused (records still wrapped to it, or it is the current key), the"
                    + " directory failed, or under custody the recovery agents did not approve in time: the keys are as"
                    + " they were");
            return codes;
        }

        @Option(names = "--wait-minutes", paramLabel = "N", description = WAIT)
        String waitMinutes;

        @Override
        int run() throws UsageException {
            int wait = waitMinutes(waitMinutes);
            KmsContext kms = connection.context();
            if (ArchiveKeys.underCustody(kms)) {
                return retireUnderCustody(kms, wait);
            }
            RecoveryKeyStore store = openStore(kms);
            RecoveryKey retiring;
            try {
                retiring = store.key(key);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--key " + key + ": " + e.getMessage());
            }
            if (retiring.keyId().equals(store.current().keyId())) {
                return failed(retiring.keyId() + " is the current recovery key, which new archives are wrapped to;"
                        + " make a new one with 'dirkms archive rekey' and re-wrap the archive to it first");
            }
            PrintWriter out = out();
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
                ArchiveKeys.of(kms, directory, store);
                Integer refused = refuse(kms, directory, retiring, store.keys());
                if (refused != null) {
                    return refused;
                }
                RecoveryKeyStore after = store.retire(kms.dataFolder(), retiring.keyId());
                out.println("retired recovery key " + retiring.keyId() + ": none of the " + recordsChecked
                        + " archive records is wrapped to it; " + after.file() + " holds " + after.keys().size()
                        + (after.keys().size() == 1 ? " key: " : " keys: ") + after.keys().stream()
                                .map(RecoveryKey::keyId).collect(java.util.stream.Collectors.joining(", ")));
                return OK;
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | IllegalArgumentException | IllegalStateException e) {
                return failed(kms, e);
            }
        }

        /** How many archive records {@link #refuse} read. */
        private int recordsChecked;

        /**
         * Null when {@code retiring} may go: not published as current, and no record wrapped to it;
         * otherwise the exit code of the refusal, printed.
         */
        private Integer refuse(KmsContext kms, LdapNetworkConnection directory, RecoveryKey retiring,
                List<RecoveryKey> keys) throws GeneralSecurityException {
            java.util.Optional<byte[]> published = kms.recoveryKeyRecords(directory).currentRecoveryCertificate();
            if (published.isPresent() && java.util.Arrays.equals(published.get(), retiring.certificate().getEncoded())) {
                return failed(retiring.keyId() + " is the recovery certificate the directory publishes as current:"
                        + " the agents still archive to it; run 'dirkms archive rekey' first");
            }
            RecoveryKeyRetirement.Verdict verdict = kms.recoveryKeyRetirement(directory, keys).check(retiring);
            recordsChecked = verdict.records();
            if (!verdict.mayRetire()) {
                List<String> named = new java.util.ArrayList<>(verdict.wrappedToKey());
                named.addAll(verdict.unreadable());
                return failed("recovery key " + retiring.keyId() + " stays: " + verdict.wrappedToKey().size()
                        + " of " + verdict.records() + " archive records are wrapped to it"
                        + (verdict.unreadable().isEmpty() ? "" : " and " + verdict.unreadable().size()
                                + " cannot be read (see 'dirkms archive check')")
                        + " (" + String.join("; ", named.subList(0, Math.min(5, named.size())))
                        + (named.size() > 5 ? "; ..." : "") + "); run 'dirkms archive rewrap' first");
            }
            return null;
        }

        /**
         * Under custody: the keys rebuilt from the agents' shares are sealed again without the
         * retired one, under the same custody secret (test-and-set), so that the shares stay valid
         * and open nothing of the retired key from then on.
         */
        private int retireUnderCustody(KmsContext kms, int wait) throws UsageException {
            PrintWriter out = out();
            ArchiveKeys keys = null;
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
                keys = ArchiveKeys.rebuild(kms, directory, "dirkms archive retire --key " + key + ": remove an old"
                        + " recovery key from the custody", Duration.ofMinutes(wait), out).orElse(null);
                if (keys == null) {
                    return failed("the recovery agents did not give their shares within " + wait + " minutes; nothing"
                            + " changed");
                }
                RecoveryKey retiring = pick(keys.keys(), key, keys.where());
                if (retiring.keyId().equals(keys.current().keyId())) {
                    return failed(retiring.keyId() + " is the current recovery key, which new archives are wrapped to;"
                            + " make a new one with 'dirkms archive rekey' and re-wrap the archive to it first");
                }
                Integer refused = refuse(kms, directory, retiring, keys.keys());
                if (refused != null) {
                    return refused;
                }
                List<RecoveryKey> kept = keys.keys().stream().filter(k -> !k.keyId().equals(retiring.keyId())).toList();
                byte[] sealed = keys.rebuilt().reseal(kept, kms.random());
                if (!kms.custodyRecords(directory).reseal(keys.custody().id(), keys.custody().sealedKeys(), sealed)) {
                    return failed("the custody of the recovery keys changed while this ran (another rekey, retire or"
                            + " re-split?); nothing changed by this run");
                }
                out.println("retired recovery key " + retiring.keyId() + ": none of the " + recordsChecked
                        + " archive records is wrapped to it; custody " + keys.custody().id() + " holds " + kept.size()
                        + (kept.size() == 1 ? " key: " : " keys: ") + kept.stream().map(RecoveryKey::keyId)
                                .collect(java.util.stream.Collectors.joining(", ")) + ", under the same shares");
                return OK;
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | IllegalArgumentException | IllegalStateException e) {
                return failed(kms, e);
            } catch (InterruptedException e) {
                return interruptedWaitingForAgents();
            } finally {
                if (keys != null) {
                    keys.close();
                }
            }
        }
    }

    /**
     * The key of {@code keys} whose id is {@code idOrPrefix} or starts with it (at least
     * {@value RecoveryKeyStore#SHORTEST_KEY_ID_PREFIX} characters), as {@link RecoveryKeyStore#key} finds it.
     */
    static RecoveryKey pick(List<RecoveryKey> keys, String idOrPrefix, String where) throws UsageException {
        String wanted = idOrPrefix.trim().toLowerCase(java.util.Locale.ROOT);
        List<RecoveryKey> found = keys.stream().filter(k -> k.keyId().equals(wanted)
                || (wanted.length() >= RecoveryKeyStore.SHORTEST_KEY_ID_PREFIX && k.keyId().startsWith(wanted))).toList();
        if (found.size() == 1) {
            return found.get(0);
        }
        throw new UsageException("--key " + idOrPrefix + ": " + (found.isEmpty() ? where + " holds no such key"
                : "more than one recovery key starts with it: give more of the id") + " (it holds "
                + keys.stream().map(RecoveryKey::keyId).toList() + ")");
    }
}
