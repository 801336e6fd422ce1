package org.dirkms.dist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.custody.Custody;
import org.dirkms.agent.custody.CustodySession;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapCustodyRecords;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.DataFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms archive custody}: puts the recovery keys under threshold custody, or splits them
 * again among other agents or with another threshold (docs/custody.md). The first time it reads
 * the data folder's key store; under custody it opens a custody session and waits for the
 * threshold of the current agents' shares. Either way it makes a new custody (new id, new secret,
 * new shares), checks that every threshold of the new shares rebuilds the keys, installs it in
 * the directory, reads it back, and only then removes the key store and its passphrase from the
 * data folder, leaving {@code recovery/custody} in their place.
 */
@Command(name = "custody", description = {"Split custody of the recovery keys among recovery agents: any M of them"
        + " rebuild the keys, fewer cannot, and the data folder keeps no recovery private key.", "",
        "Each named agent must be a member of cn=Recovery Agents and enrolled (their share is sealed to their"
                + " encryption certificate). The first time, the keys come from DIR/recovery/, which is removed once"
                + " the custody is in the directory and checked; run again under custody (another set of agents,"
                + " another threshold), it waits for M of the current agents to approve the custody session it"
                + " prints ('dirkms recovery approve DN --key-package FILE'), and the earlier shares open nothing"
                + " from then on."})
final class ArchiveCustodyCommand extends Subcommand {
    @Mixin
    ConnectionOptions connection;

    @Option(names = "--agents", paramLabel = "DN", arity = "1..*", required = true,
            description = "the recovery agents who hold a share, one DN each")
    List<String> agents;

    @Option(names = "--threshold", paramLabel = "M", required = true,
            description = "how many of them rebuild the keys: at least 2, at most the number of agents")
    String threshold;

    @Option(names = "--wait-minutes", paramLabel = "N",
            description = "under custody: how long to wait for the current agents' shares (default 60)")
    String waitMinutes;

    @Override
    List<String> examples() {
        return List.of("dirkms archive custody --data data --threshold 2 --agents uid=bob,ou=People,dc=example,dc=com"
                + " uid=carol,ou=People,dc=example,dc=com uid=dave,ou=People,dc=example,dc=com",
                "any two of bob, carol and dave rebuild the recovery keys; data/recovery keeps none");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = new LinkedHashMap<>(super.exitCodes());
        codes.put(ExitCode.OK, "the custody is installed and checked; the data folder holds no recovery private key");
        codes.put(ExitCode.FAILED, "refused (an agent is not a recovery agent or has no encryption certificate), the"
                + " agents did not give their shares in time, or the directory failed: the keys are where they were");
        return codes;
    }

    @Override
    int run() throws UsageException {
        List<String> holders = distinct(agents);
        int m = Numbers.integer("--threshold", threshold, 0, 1, 255);
        if (m < 2) {
            throw new UsageException("--threshold 1 would let any one recovery agent open the archive alone; custody"
                    + " takes at least 2");
        }
        if (m > holders.size()) {
            throw new UsageException("--threshold " + m + " is more than the " + holders.size() + " agents named: the"
                    + " keys could never be rebuilt");
        }
        int wait = Numbers.integer("--wait-minutes", waitMinutes, 60, 1, 7 * 24 * 60);
        KmsContext kms = connection.context();
        DataFolder data = kms.dataFolder();
        PrintWriter out = out();
        try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
            LdapCustodyRecords records = kms.custodyRecords(directory);
            List<Custody.Holder> chosen = new ArrayList<>();
            List<String> members = records.recoveryAgents().stream().map(DistinguishedNames::normalIfValid)
                    .flatMap(Optional::stream).toList();
            for (String dn : holders) {
                if (!members.contains(DistinguishedNames.normal(dn))) {
                    return failed(dn + " is not a member of " + kms.layout().recoveryAgentsGroup() + ": add them with"
                            + " 'dirkms roles add recovery-agent' first; nothing changed");
                }
                Optional<X509Certificate> certificate = encryptionCertificate(records.certificatesOf(dn));
                if (certificate.isEmpty()) {
                    return failed(dn + " has no valid encryption certificate to seal a share to: enroll them first;"
                            + " nothing changed");
                }
                chosen.add(new Custody.Holder(dn, certificate.get()));
            }
            Optional<CustodyEntry> current = records.custody();
            boolean storeHere = RecoveryKeyStore.exists(data);
            if (current.isPresent() && storeHere) {
                // An earlier run installed the custody and stopped before removing the key store.
                out.println("the directory holds custody " + current.get().id() + " already and " + data.recoveryKeyStore()
                        + " is still here (a custody that stopped before removing it): removing it now");
                leaveCustodyMarker(data, current.get(), records);
                removeKeyStore(data, out);
                return OK;
            }
            if (current.isEmpty() && kms.underCustody()) {
                return failed(data.recoveryCustody() + " says the recovery keys are under custody, but the directory"
                        + " holds no custody at " + kms.recoveryAgentDn() + ": restore the directory from a backup;"
                        + " nothing changed");
            }
            List<RecoveryKey> keys;
            ArchiveKeys rebuilt = null;
            try {
                if (current.isEmpty()) {
                    RecoveryKeyStore store = ArchiveCommand.openStore(kms);
                    keys = store.keys();
                    Optional<byte[]> published = kms.recoveryKeyRecords(directory).currentRecoveryCertificate();
                    if (published.isPresent() && !java.util.Arrays.equals(published.get(),
                            store.current().certificate().getEncoded())) {
                        return failed("the directory publishes another recovery certificate as current than the newest"
                                + " key of " + store.file() + ": run 'dirkms archive rekey' with this data folder"
                                + " first; nothing changed");
                    }
                    if (published.isEmpty()) {
                        // The custody lives on the key recovery agent's entry, which the publication makes (a
                        // directory no 'dirkms serve' or agent with this data folder has started on yet).
                        kms.publishRecoveryCertificate(directory, store);
                    }
                } else {
                    // The sealed keys must not change while the agents approve (a rekey would be lost).
                    rebuilt = ArchiveKeys.rebuild(kms, directory, "dirkms archive custody: split the recovery keys"
                            + " again among " + String.join("; ", holders) + ", any " + m + " of them",
                            Duration.ofMinutes(wait), out).orElse(null);
                    if (rebuilt == null) {
                        return failed("the recovery agents did not give " + current.get().threshold() + " good shares"
                                + " within " + wait + " minutes; nothing changed");
                    }
                    keys = rebuilt.keys();
                }
                CustodyEntry made = Custody.split(keys, chosen, m, kms.random());
                if (!records.install(made, rebuilt != null ? rebuilt.custody() : null)) {
                    return failed("the custody changed while this ran (another 'dirkms archive custody'?); nothing"
                            + " changed by this run");
                }
                CustodyEntry installed = records.custody().orElse(null);
                if (installed == null || !installed.id().equals(made.id())
                        || installed.shares().size() != made.shares().size()) {
                    return failed("the custody read back from the directory is not the one written; the key store is"
                            + " kept; run 'dirkms archive custody' again");
                }
                leaveCustodyMarker(data, installed, records);
                out.println("custody " + installed.id() + ": the recovery keys (" + keys.size() + ", current "
                        + keys.get(0).keyId() + ") are split among " + holders.size() + " recovery agents, any "
                        + m + " of whom rebuild them; every " + m + " of the shares was checked to rebuild them");
                for (var share : installed.shares()) {
                    out.println("  share " + share.index() + " for " + share.holder() + " at " + share.dn());
                }
                if (storeHere) {
                    removeKeyStore(data, out);
                } else {
                    out.println("the shares of custody " + current.get().id() + " open nothing from now on");
                }
                return OK;
            } finally {
                if (rebuilt != null) {
                    rebuilt.close();
                }
            }
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                | IllegalArgumentException | IllegalStateException e) {
            return failed(kms, e);
        } catch (InterruptedException e) {
            return interruptedWaitingForAgents();
        }
    }

    /** The first certificate valid now whose key may encipher keys (RSA) or agree on them (EC), not a CA's. */
    static Optional<X509Certificate> encryptionCertificate(List<byte[]> candidates) {
        Date now = new Date();
        for (byte[] der : candidates) {
            try {
                X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der));
                boolean[] usage = certificate.getKeyUsage();
                boolean encrypts = usage != null && (usage[2] || usage[4]);
                if (encrypts && certificate.getBasicConstraints() < 0 && !now.before(certificate.getNotBefore())
                        && !now.after(certificate.getNotAfter())) {
                    return Optional.of(certificate);
                }
            } catch (GeneralSecurityException | RuntimeException e) {
                // not a certificate: the next one
            }
        }
        return Optional.empty();
    }

    private static void leaveCustodyMarker(DataFolder data, CustodyEntry custody, LdapCustodyRecords records)
            throws IOException {
        StringBuilder text = new StringBuilder();
        text.append("custody ").append(custody.id()).append('\n');
        text.append("threshold ").append(custody.threshold()).append(" of ").append(custody.shares().size()).append('\n');
        for (var share : custody.shares()) {
            text.append("holder ").append(share.index()).append(' ').append(share.holder()).append('\n');
        }
        text.append("since ").append(java.time.Instant.now()).append('\n');
        text.append("The recovery keys are split among the recovery agents above (docs/custody.md); this folder holds"
                + " none.\n");
        Path marker = data.recoveryCustody();
        Path temporary = marker.resolveSibling("custody.new");
        Files.createDirectories(marker.getParent(), PosixFilePermissions.asFileAttribute(DataFolder.FOLDER_MODE));
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(temporary, marker, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Removes the key store and its passphrase, each overwritten with zeros first (a copy-on-write or
     * journaling file system may keep the old blocks: docs/custody.md says what that leaves).
     */
    private static void removeKeyStore(DataFolder data, PrintWriter out) throws IOException {
        for (Path file : List.of(data.recoveryKeyStore(), data.recoveryPassphrase())) {
            if (Files.exists(file)) {
                long size = Files.size(file);
                try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.write(java.nio.ByteBuffer.allocate((int) Math.min(size, Integer.MAX_VALUE)));
                    channel.force(true);
                }
                Files.delete(file);
            }
        }
        out.println("removed " + data.recoveryKeyStore() + " and " + data.recoveryPassphrase() + ": " + data.recovery()
                + " holds no recovery private key; " + data.recoveryCustody() + " says so");
        out.println("restart 'dirkms serve' (and any 'dirkms agent' of this data folder): a process started before"
                + " still holds the keys it opened; destroy backups of the data folder made before now");
    }

    private static List<String> distinct(List<String> dns) throws UsageException {
        List<String> seen = new ArrayList<>();
        List<String> result = new ArrayList<>();
        for (String dn : dns) {
            String normal;
            try {
                normal = DistinguishedNames.normal(dn);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--agents " + dn + " is not a DN");
            }
            if (seen.contains(normal)) {
                throw new UsageException("--agents names " + dn + " twice: each agent holds one share");
            }
            seen.add(normal);
            result.add(dn);
        }
        return result;
    }
}
