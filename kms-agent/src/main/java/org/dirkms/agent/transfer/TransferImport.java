package org.dirkms.agent.transfer;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.TransferRecords;
import org.dirkms.agent.directory.TransferRecords.Person;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;

/**
 * {@code dirkms import} (docs/transfer.md): opens a transfer file addressed to this server and,
 * once everything in it is checked, writes its users under this directory's suffix.
 *
 * <p>Before anything is written: the file is opened and checked whole ({@link TransferEnvelope#open}:
 * addressee, signature, chain to the trusted source CA, expiry, manifest), and every archived key
 * is checked to be the private key of its certificate. Then each user is mapped by {@code mail}
 * to one entry of this directory: an entry holding the address, or a new {@code inetOrgPerson}
 * under {@code ou=People}; a user whose address is on an entry that is already a KMS user with
 * other certificates, or on several entries, is refused with its reason, and the others go on.
 *
 * <p>Each user is written in steps that can each be repeated: the person (when missing), an
 * archive record per key at a DN derived from the user and the key's certificate (so a second
 * run finds it), wrapped with {@link KeyArchiver} to this directory's current recovery
 * certificate, the published-certificate children, then one modify with the entry's
 * certificates, its {@code kmsArchiveRecord} list and its state. A run stopped anywhere (even by
 * SIGKILL) is completed by running it again; a user whose entry already shows all of it is
 * left alone, so a second complete run writes nothing.
 */
public final class TransferImport {

    /** What the import does with one user. */
    public enum Action {
        /** A new person entry is made, and the user's KMS state written on it. */
        CREATE("create"),
        /** The user's KMS state is written on an existing entry holding its address. */
        UPDATE("update"),
        /** The entry already shows everything: nothing to write. */
        ALREADY_IMPORTED("already imported"),
        /** The user cannot be imported: the reason says why. */
        REFUSED("refused");

        private final String label;

        Action(String label) {
            this.label = label;
        }

        /** The word the command prints. */
        public String label() {
            return label;
        }
    }

    /**
     * What the import does, or did, with one user of the file.
     *
     * @param id the user's identifier in the file
     * @param mail the user's first address
     * @param dn the entry at this directory, or null when refused
     * @param action what is done
     * @param reason why it is refused, or what is written, in words
     * @param recordsToWrite the archive records still to write
     * @param certificates the certificates the entry publishes after the import
     */
    public record UserPlan(String id, String mail, String dn, Action action, String reason, int recordsToWrite,
            int certificates) {
        /** One line for the command's output. */
        public String line() {
            return id + " " + mail + ": " + action.label() + (dn == null ? "" : " " + dn) + ": " + reason;
        }
    }

    /**
     * The outcome of a run.
     *
     * @param source the source server named by the manifest
     * @param users one plan per user of the file, in its order
     * @param written whether anything was written (false for a dry run and for a file already imported)
     * @param recordDn the entry that records the import, or null when nothing was written
     */
    public record Report(String source, List<UserPlan> users, boolean written, String recordDn) {
        /** How many users were (or would be) imported. */
        public long imported() {
            return users.stream().filter(u -> u.action() == Action.CREATE || u.action() == Action.UPDATE).count();
        }

        /** How many users were refused. */
        public long refused() {
            return users.stream().filter(u -> u.action() == Action.REFUSED).count();
        }
    }

    private final EnrollmentRecords enrollment;
    private final TransferRecords transfers;
    private final DirectoryLayout layout;
    private final TransferIdentity identity;
    private final X509Certificate recoveryCertificate;
    private final Clock clock;
    private final SecureRandom random;
    /** The administrative groups, read once per import. */
    private List<GroupEntry> groups;

    /**
     * @param enrollment this directory's enrollment records
     * @param transfers this directory's transfer records
     * @param layout this directory's tree
     * @param identity this server's transfer identity: its transport key opens the file
     * @param recoveryCertificate the recovery certificate this directory publishes as current
     * @param clock the time the file's expiry and signer are checked against
     * @param random the source of the archive envelopes' keys
     */
    public TransferImport(EnrollmentRecords enrollment, TransferRecords transfers, DirectoryLayout layout,
            TransferIdentity identity, X509Certificate recoveryCertificate, Clock clock, SecureRandom random) {
        this.enrollment = enrollment;
        this.transfers = transfers;
        this.layout = layout;
        this.identity = identity;
        this.recoveryCertificate = recoveryCertificate;
        this.clock = clock;
        this.random = random;
    }

    /**
     * Opens and checks {@code file}, then imports it (or, with {@code dryRun}, only plans it).
     *
     * @param sourceCa the source CA the administrator trusts for the file's signature
     * @throws TransferRefusedException if the file is refused: nothing was written
     */
    public Report run(byte[] file, X509Certificate sourceCa, boolean dryRun) {
        TransferEnvelope.Opened opened = TransferEnvelope.open(file, identity.transport().privateKey(),
                identity.transport().certificate(), sourceCa, clock);
        TransferDocument document = opened.document();
        Map<String, List<PrivateKey>> keys = new LinkedHashMap<>();
        try {
            keys.putAll(checkKeys(document));
            document.clearKeys();
            List<UserPlan> plans = new ArrayList<>();
            for (TransferDocument.User user : document.users()) {
                plans.add(plan(user));
            }
            boolean anything = plans.stream().anyMatch(p -> p.action() == Action.CREATE || p.action() == Action.UPDATE);
            if (dryRun || !anything) {
                return new Report(document.manifest().sourceServer(), plans, false, null);
            }
            publishSourceCa(document.manifest(), sourceCa);
            List<UserPlan> done = new ArrayList<>();
            for (int i = 0; i < plans.size(); i++) {
                UserPlan plan = plans.get(i);
                if (plan.action() == Action.CREATE || plan.action() == Action.UPDATE) {
                    write(document.users().get(i), plan, keys.get(plan.id()));
                }
                done.add(plan);
            }
            String name = "import " + clock.instant() + " " + TransferDocument.sha256(file).substring(0, 16);
            long imported = done.stream().filter(p -> p.action() == Action.CREATE || p.action() == Action.UPDATE).count();
            transfers.recordTransfer(name, List.of("import of " + imported + " of " + plans.size() + " users from "
                    + document.manifest().sourceServer() + " (suffix " + document.manifest().sourceSuffix() + ")",
                    "signed by " + opened.signer().getSubjectX500Principal().getName() + ", issued by "
                            + opened.signer().getIssuerX500Principal().getName(),
                    "written " + document.manifest().created() + ", file SHA-256 " + TransferDocument.sha256(file),
                    done.stream().filter(p -> p.action() == Action.REFUSED).count() + " users refused"));
            return new Report(document.manifest().sourceServer(), done, true, name);
        } finally {
            document.clearKeys();
        }
    }

    /**
     * Every key of every user of {@code document}, by user identifier, each checked to be the
     * private key of its certificate.
     *
     * @throws TransferRefusedException naming the first key that is not its certificate's
     */
    static Map<String, List<PrivateKey>> checkKeys(TransferDocument document) {
        Map<String, List<PrivateKey>> keys = new LinkedHashMap<>();
        for (TransferDocument.User user : document.users()) {
            keys.put(user.id(), checkedKeys(user));
        }
        return keys;
    }

    /** Every key of {@code user}, each checked to be the private key of its certificate. */
    private static List<PrivateKey> checkedKeys(TransferDocument.User user) {
        List<PrivateKey> keys = new ArrayList<>();
        for (int i = 0; i < user.keys().size(); i++) {
            TransferDocument.Key key = user.keys().get(i);
            String item = user.id() + "/key-" + (i + 1);
            X509Certificate certificate;
            try {
                certificate = TransferExport.parse(key.certificate(), item);
            } catch (IllegalArgumentException e) {
                throw new TransferRefusedException(e.getMessage());
            }
            PrivateKey privateKey;
            try {
                String algorithm = certificate.getPublicKey().getAlgorithm();
                privateKey = KeyFactory.getInstance(algorithm.equals("EC") ? "EC" : algorithm)
                        .generatePrivate(new PKCS8EncodedKeySpec(key.pkcs8()));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new TransferRefusedException(item + " is not a private key of the kind of its certificate ("
                        + TransferExport.name(certificate) + ")");
            }
            if (!KeyPairFactory.matches(privateKey, certificate.getPublicKey())) {
                throw new TransferRefusedException(item + " is not the private key of its certificate "
                        + TransferExport.name(certificate) + ": mail encrypted to it could not be read with it");
            }
            keys.add(privateKey);
        }
        return keys;
    }

    private UserPlan plan(TransferDocument.User user) {
        if (user.mail().isEmpty()) {
            return new UserPlan(user.id(), "(no mail)", null, Action.REFUSED, "the user has no mail address to be"
                    + " mapped by", 0, 0);
        }
        String mail = user.mail().get(0);
        Map<String, Person> holders = new LinkedHashMap<>();
        for (String address : user.mail()) {
            for (Person person : transfers.peopleWithMail(address)) {
                holders.putIfAbsent(DistinguishedNames.normal(person.dn()), person);
            }
        }
        List<byte[]> target = targetCertificates(user);
        if (holders.size() > 1) {
            return new UserPlan(user.id(), mail, null, Action.REFUSED, "its addresses are on " + holders.size()
                    + " entries (" + String.join("; ", holders.values().stream().map(Person::dn).toList())
                    + "): the directory administrator makes them one person's first", 0, 0);
        }
        if (holders.isEmpty()) {
            String dn = newDn(user);
            Optional<Person> there = transfers.person(dn);
            if (there.isPresent()) {
                return new UserPlan(user.id(), mail, null, Action.REFUSED, "no entry holds " + mail + ", and " + dn
                        + " exists with other addresses (" + String.join(", ", there.get().mail())
                        + "): add the address to the right entry, then import again", 0, 0);
            }
            return new UserPlan(user.id(), mail, dn, Action.CREATE, "new person; " + what(user, target, null), user.keys().size(),
                    target.size());
        }
        Person person = holders.values().iterator().next();
        List<ByteBuffer> imported = user.certificates().stream().map(ByteBuffer::wrap).toList();
        List<byte[]> foreign = person.certificates().stream().filter(der -> !imported.contains(ByteBuffer.wrap(der)))
                .toList();
        if (person.kmsUser() && !foreign.isEmpty()) {
            return new UserPlan(user.id(), mail, null, Action.REFUSED, person.dn() + " is already a KMS user here ("
                    + stateName(person.enrollmentState()) + ") with " + foreign.size() + " other certificate"
                    + (foreign.size() == 1 ? "" : "s") + ": revoke them first, or import the user under another"
                    + " address", 0, 0);
        }
        int missing = missingRecords(user, person.dn());
        if (missing == 0 && complete(user, person, target)) {
            return new UserPlan(user.id(), mail, person.dn(), Action.ALREADY_IMPORTED, "nothing to write", 0,
                    target.size());
        }
        return new UserPlan(user.id(), mail, person.dn(), Action.UPDATE, what(user, target, person), missing,
                target.size());
    }

    private static String stateName(String state) {
        return state == null ? "no kmsEnrollmentState" : "kmsEnrollmentState " + state;
    }

    private String what(TransferDocument.User user, List<byte[]> target, Person person) {
        int missing = person == null ? user.keys().size() : missingRecords(user, person.dn());
        return missing + " archive record" + (missing == 1 ? "" : "s") + " (of " + user.keys().size() + " keys), "
                + user.certificates().size() + " certificates, of which " + target.size() + " published; "
                + "kmsEnrollmentState " + targetState(user);
    }

    /** The certificates the entry publishes after the import: those the source entry published, in its order. */
    private static List<byte[]> targetCertificates(TransferDocument.User user) {
        return EnrollmentState.REVOKED.ldapValue().equals(user.enrollmentState()) ? List.of()
                : user.publishedCertificates();
    }

    private static String targetState(TransferDocument.User user) {
        return EnrollmentState.REVOKED.ldapValue().equals(user.enrollmentState()) ? EnrollmentState.REVOKED.ldapValue()
                : EnrollmentState.ENROLLED.ldapValue();
    }

    private int missingRecords(TransferDocument.User user, String dn) {
        int missing = 0;
        for (TransferDocument.Key key : user.keys()) {
            if (!transfers.exists(recordDn(dn, key.certificate()))) {
                missing++;
            }
        }
        return missing;
    }

    private boolean complete(TransferDocument.User user, Person person, List<byte[]> target) {
        if (!person.kmsUser() || !targetState(user).equals(person.enrollmentState())
                || person.certificates().size() != target.size()) {
            return false;
        }
        for (int i = 0; i < target.size(); i++) {
            if (!Arrays.equals(target.get(i), person.certificates().get(i))) {
                return false;
            }
        }
        List<String> listed = person.archiveRecords().stream().map(DistinguishedNames::normal).toList();
        for (TransferDocument.Key key : user.keys()) {
            if (!listed.contains(DistinguishedNames.normal(recordDn(person.dn(), key.certificate())))) {
                return false;
            }
        }
        List<ByteBuffer> children = enrollment.publishedCertificates(person.dn()).stream().map(ByteBuffer::wrap)
                .toList();
        return target.stream().allMatch(der -> children.contains(ByteBuffer.wrap(der)));
    }

    private void write(TransferDocument.User user, UserPlan plan, List<PrivateKey> keys) {
        String dn = plan.dn();
        // A person this run added holds nothing yet: no read, and no record to look for. Any
        // other entry (one that was there, or one an interrupted run added) is read first.
        boolean added = plan.action() == Action.CREATE && transfers.addPerson(dn,
                user.commonName() != null ? user.commonName() : plan.mail(),
                user.surname() != null ? user.surname() : plan.mail(), user.mail());
        Person person = added ? new Person(dn, user.commonName(), user.surname(), user.mail(), null, null, false,
                List.of(), List.of()) : transfers.person(dn).orElseThrow(() -> new IllegalStateException(dn
                        + " vanished during the import; run it again"));
        KeyArchiver archiver = new KeyArchiver(recoveryCertificate, random);
        List<String> records = new ArrayList<>();
        for (int i = 0; i < user.keys().size(); i++) {
            byte[] certificate = user.keys().get(i).certificate();
            String recordDn = recordDn(dn, certificate);
            records.add(recordDn);
            if (added || !transfers.exists(recordDn)) {
                WrappedKey wrapped = archiver.wrap(keys.get(i), TransferExport.parse(certificate, recordDn));
                enrollment.addArchivedKey(new ArchivedKeyEntry(recordDn, dn, wrapped.envelopedDataDer(), certificate,
                        wrapped.wrappingAlgorithm(), wrapped.wrappingKeyId()));
            }
        }
        List<byte[]> target = targetCertificates(user);
        // As an enrollment publishes them (docs/directory-layout.md): the source entry's order is
        // the encryption certificate, then the signing one; a single-key user has one for both.
        if (target.size() >= 2) {
            enrollment.putPublishedCertificate(dn, CertificatePurpose.ENCRYPTION.ldapValue(), person.mail(),
                    target.get(0));
            enrollment.putPublishedCertificate(dn, CertificatePurpose.SIGNING.ldapValue(), person.mail(),
                    target.get(1));
        } else if (target.size() == 1) {
            boolean[] usage = TransferExport.parse(target.get(0), user.id()).getKeyUsage();
            boolean encryption = usage == null || usage[2] || usage[4];
            boolean signing = usage == null || usage[0] || usage[1];
            CertificatePurpose purpose = encryption && signing ? CertificatePurpose.SIGNING_AND_ENCRYPTION
                    : encryption ? CertificatePurpose.ENCRYPTION : CertificatePurpose.SIGNING;
            enrollment.putPublishedCertificate(dn, purpose.ldapValue(), person.mail(), target.get(0));
        }
        List<String> listed = person.archiveRecords().stream().map(DistinguishedNames::normal).toList();
        List<String> toList = records.stream().filter(r -> !listed.contains(DistinguishedNames.normal(r))).toList();
        transfers.writeImportedState(dn, !person.kmsUser(), targetState(user), groupDn(user.group()), target, toList);
    }

    /** The archive record of the key of {@code certificate} for the user at {@code userDn}: the same on every run. */
    private String recordDn(String userDn, byte[] certificate) {
        return enrollment.archivedKeyDn(userDn, "import " + TransferDocument.sha256(certificate));
    }

    /** Where a new person goes: the source entry's RDN under this directory's {@code ou=People}. */
    private String newDn(TransferDocument.User user) {
        try {
            return new Dn(user.sourceDn()).getRdn().getName() + "," + layout.people();
        } catch (LdapInvalidDnException e) {
            throw new TransferRefusedException(user.id() + " has the source DN '" + user.sourceDn() + "', which is not"
                    + " a DN");
        }
    }

    /** The administrative group of the same name here, or the default group; null when there is neither. */
    private String groupDn(String name) {
        if (groups == null) {
            groups = enrollment.groups();
        }
        for (GroupEntry group : groups) {
            try {
                if (name != null && new Dn(group.dn()).getRdn().getValue().toLowerCase(Locale.ROOT)
                        .equals(name.toLowerCase(Locale.ROOT))) {
                    return group.dn();
                }
            } catch (LdapInvalidDnException e) {
                // not a group to match
            }
        }
        return groups.stream().filter(GroupEntry::defaultGroup).map(GroupEntry::dn).findFirst().orElse(null);
    }

    /**
     * Publishes the source CA where this directory's clients find CAs to build paths with:
     * {@code cn=<source CA's subject>,ou=Trust}, with its certificate and where its CRL is.
     */
    private void publishSourceCa(TransferDocument.Manifest manifest, X509Certificate sourceCa) {
        try {
            transfers.publishForeignCa(foreignCaName(sourceCa), sourceCa.getEncoded(), List.of(
                    "the CA of the KMS server " + manifest.sourceServer() + " (suffix " + manifest.sourceSuffix()
                            + "): it issued the certificates of users imported from there (dirkms import); it issues"
                            + " nothing here",
                    "its certificates name their CRL in their CRL distribution points, served by the source server"));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("the source CA certificate cannot be encoded", e);
        }
    }

    /** The {@code cn} the source CA's entry under {@code ou=Trust} has: its subject DN (RFC 4514). */
    public static String foreignCaName(X509Certificate sourceCa) {
        return sourceCa.getSubjectX500Principal().getName();
    }
}
