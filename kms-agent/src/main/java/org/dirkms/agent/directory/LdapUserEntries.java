package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.ADMINISTRATIVE_GROUP;
import static org.dirkms.schema.AttributeNames.ARCHIVE_RECORD;
import static org.dirkms.schema.AttributeNames.CERTIFICATE_PURPOSE;
import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.DELIVERY_KEY;
import static org.dirkms.schema.AttributeNames.ENROLLMENT_STATE;
import static org.dirkms.schema.AttributeNames.ENROLLMENT_TOKEN;
import static org.dirkms.schema.AttributeNames.KEY_PACKAGE;
import static org.dirkms.schema.AttributeNames.KEY_PACKAGE_EXPIRES;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.MAIL;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.REPLACED_ATTEMPT;
import static org.dirkms.schema.AttributeNames.REVOCATION_REASON;
import static org.dirkms.schema.AttributeNames.SIGNING_REQUEST;
import static org.dirkms.schema.AttributeNames.SUPERSEDED_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.USER_SMIME_CERTIFICATE;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.dirkms.agent.directory.EnrollmentRecords.AddressHolder;
import org.dirkms.agent.directory.EnrollmentRecords.MailCarryingChild;
import org.dirkms.agent.directory.EnrollmentRecords.Publication;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RevocationReason;

/**
 * User entries ({@code kmsUser}) and their published-certificate children
 * ({@code kmsPublishedCertificate}, {@code cn=<purpose>} below the user, without {@code mail};
 * docs/directory-layout.md).
 */
final class LdapUserEntries {
    private static final String USER_CERTIFICATE_BINARY = USER_CERTIFICATE + ";binary";
    private static final String[] USER_ATTRIBUTES = {OBJECT_CLASS, ENROLLMENT_STATE, ADMINISTRATIVE_GROUP, SIGNING_REQUEST, MAIL,
        CLAIMED_BY, LEASE_EXPIRES, SUPERSEDED_CERTIFICATE, REPLACED_ATTEMPT, KEY_PACKAGE_EXPIRES, KEY_PACKAGE,
        USER_CERTIFICATE, REVOCATION_REASON, ARCHIVE_RECORD, DELIVERY_KEY};

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapUserEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    Optional<UserEntry> read(String dn) {
        return entries.read(dn, USER_ATTRIBUTES).map(LdapUserEntries::user);
    }

    List<UserEntry> search(String filter) {
        List<UserEntry> users = new ArrayList<>();
        for (Entry entry : entries.search(layout.suffix(), "(&(" + OBJECT_CLASS + "=" + ObjectClassNames.KMS_USER + ")"
                + filter + ")", SearchScope.SUBTREE, USER_ATTRIBUTES)) {
            users.add(user(entry));
        }
        return users;
    }

    List<String> findDns(String base, String filter) {
        List<String> dns = new ArrayList<>();
        for (Entry entry : entries.search(base, filter, SearchScope.SUBTREE, "1.1")) {
            dns.add(entry.getDn().getName());
        }
        return dns;
    }

    List<AddressHolder> entriesWithMail(List<String> addresses) {
        if (addresses.isEmpty()) {
            return List.of();
        }
        StringBuilder filter = new StringBuilder("(|");
        for (String address : addresses) {
            filter.append('(').append(MAIL).append('=').append(LdapArchiveEntries.escapeFilter(address)).append(')');
        }
        List<AddressHolder> holders = new ArrayList<>();
        for (Entry entry : entries.search(layout.suffix(), filter.append(')').toString(), SearchScope.SUBTREE, MAIL,
                OBJECT_CLASS)) {
            List<String> matching = LdapEntries.strings(entry, MAIL).stream()
                    .filter(value -> addresses.stream().anyMatch(value::equalsIgnoreCase)).toList();
            // Children carry no mail (docs/directory-layout.md); one an earlier version wrote may,
            // until an agent's start upgrades it, and holds its user's address, not another person's.
            boolean published = LdapEntries.strings(entry, OBJECT_CLASS).stream()
                    .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.PUBLISHED_CERTIFICATE));
            String holder = entry.getDn().getName();
            if (published && entry.getDn().size() > 1) {
                holder = entry.getDn().getParent().getName();
            }
            holders.add(new AddressHolder(entry.getDn().getName(), holder, matching));
        }
        return holders;
    }

    boolean claim(String dn, EnrollmentState from, Claim claim) {
        return testAndSet(dn, "claim the enrollment of", ClaimChanges.acquire(ENROLLMENT_STATE, from.ldapValue(),
                EnrollmentState.IN_PROGRESS.ldapValue(), claim));
    }

    boolean claimFrom(String dn, EnrollmentState from, boolean addKmsUserClass, Claim claim) {
        List<Modification> modifications = new ArrayList<>();
        if (addKmsUserClass) {
            modifications.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, OBJECT_CLASS,
                    ObjectClassNames.KMS_USER));
        }
        modifications.addAll(ClaimChanges.acquire(ENROLLMENT_STATE, from == null ? null : from.ldapValue(),
                EnrollmentState.IN_PROGRESS.ldapValue(), claim));
        try {
            entries.modifyOrThrow(dn, modifications.toArray(Modification[]::new));
            return true;
        } catch (LdapNoSuchAttributeException | LdapAttributeInUseException e) {
            return false; // the state changed under us
        } catch (LdapInvalidAttributeValueException e) {
            // A second value for the single-valued state: another process set it first.
            if (e.getResultCode() == ResultCodeEnum.CONSTRAINT_VIOLATION) {
                return false;
            }
            throw LdapEntries.failure("claim the enrollment of", dn, e);
        } catch (LdapException e) {
            throw LdapEntries.failure("claim the enrollment of", dn, e);
        }
    }

    char[] readToken(String dn) {
        return entries.read(dn, ENROLLMENT_TOKEN).map(entry -> LdapEntries.bytes(entry, ENROLLMENT_TOKEN))
                .filter(values -> !values.isEmpty()).map(values -> {
                    byte[] bytes = values.get(0);
                    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
                    char[] token = new char[chars.remaining()];
                    chars.get(token);
                    Arrays.fill(bytes, (byte) 0);
                    return token;
                }).orElse(null);
    }

    boolean takeOver(String dn, Claim expired, Claim successor) {
        return testAndSet(dn, "take over the enrollment of", ClaimChanges.takeOver(expired, successor));
    }

    void requestEnrollment(String dn) {
        Entry current = entries.read(dn, OBJECT_CLASS).orElseThrow(
                () -> new DirectoryAccessException("there is no entry " + dn + " to enroll"));
        boolean kmsUser = LdapEntries.strings(current, OBJECT_CLASS).stream()
                .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.KMS_USER));
        List<Modification> modifications = new ArrayList<>();
        if (!kmsUser) {
            modifications.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, OBJECT_CLASS,
                    ObjectClassNames.KMS_USER));
        }
        modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_STATE,
                EnrollmentState.REQUESTED.ldapValue()));
        entries.modify(dn, modifications.toArray(Modification[]::new));
    }

    boolean publish(String dn, Claim held, Publication publication) {
        byte[] token = publication.token() == null ? null : LdapEntries.utf8(publication.token());
        try {
            // Deleting our own attempt is the test: if another process took over after our lease
            // expired, this modify fails and publishes nothing. Work left after the publication
            // (revoking what it superseded) keeps the claim and its lease, so that a take-over
            // after a crash finishes it.
            List<Modification> modifications = new ArrayList<>(publication.stillToRevoke().isEmpty()
                    ? ClaimChanges.release(held) : ClaimChanges.keep(held, publication.stillToRevoke()));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                    new DefaultAttribute(USER_CERTIFICATE_BINARY, publication.certificates().toArray(byte[][]::new))));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_SMIME_CERTIFICATE,
                    publication.smimeBundle()));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                    new DefaultAttribute(KEY_PACKAGE, publication.keyPackage().toArray(byte[][]::new))));
            // A sealed package has no token: none is written, and a replace without values
            // removes the token of an earlier, unconfirmed package (RFC 4511 section 4.6).
            modifications.add(token == null
                    ? new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_TOKEN)
                    : new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_TOKEN, token));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE_EXPIRES,
                    LdapTimes.format(publication.packageExpires())));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_STATE,
                    EnrollmentState.ENROLLED.ldapValue()));
            // The history of the user's keys, in the write that commits the enrollment: no extra
            // write, and a record is listed only once its key is published (docs/security.md).
            modifications.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, ARCHIVE_RECORD,
                    publication.archiveRecord()));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR));
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, REVOCATION_REASON));
            return secretTestAndSet(dn, "publish the enrollment of", modifications.toArray(Modification[]::new));
        } finally {
            if (token != null) {
                Arrays.fill(token, (byte) 0);
            }
        }
    }

    boolean renewLease(String dn, Claim held, Instant newLease) {
        return testAndSet(dn, "renew the lease on", ClaimChanges.renew(held, newLease));
    }

    boolean amendClaim(String dn, Claim held, List<byte[]> superseded) {
        return testAndSet(dn, "extend the claim on", ClaimChanges.amend(held, superseded));
    }

    boolean endClaim(String dn, Claim held) {
        return testAndSet(dn, "end the claim on", ClaimChanges.release(held));
    }

    void putPublishedCertificate(String userDn, String purpose, List<String> mail, byte[] certificate) {
        String dn = CN + "=" + Rdn.escapeValue(purpose) + "," + userDn;
        String[] names = childNames(purpose, mail);
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.PUBLISHED_CERTIFICATE);
            entry.add(CN, names);
            entry.add(CERTIFICATE_PURPOSE, purpose);
            entry.add(new DefaultAttribute(USER_CERTIFICATE_BINARY, certificate));
            entries.add(entry);
        } catch (LdapEntryAlreadyExistsException e) {
            // A re-enrollment, or a retry after the add reached the server: the entry now carries
            // the new certificate, and the names of the user's addresses now. A replace without
            // values removes the mail a child written before carried (RFC 4511 section 4.6).
            entries.modify(dn,
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                            new DefaultAttribute(USER_CERTIFICATE_BINARY, certificate)),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CN, names),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, MAIL));
        } catch (LdapException e) {
            throw LdapEntries.failure("publish the " + purpose + " certificate at", dn, e);
        }
    }

    /**
     * The {@code cn} of a published-certificate child: its purpose, which names it in its DN, and
     * for the signing certificate one name per address of the user. The child has no {@code mail},
     * so that a search {@code (mail=…)} finds the user's entry alone, whose first
     * {@code userCertificate} value is the encryption certificate. dirmngr (GnuPG 2.2) reads only
     * the first value of each entry and searches {@code sn}, {@code cn} and {@code mail} by
     * substring: it finds the signing certificate by these names, once
     * (docs/interoperability.md, "Finding certificates").
     */
    static String[] childNames(String purpose, List<String> mail) {
        List<String> names = new ArrayList<>();
        names.add(purpose);
        if (purpose.equals(CertificatePurpose.SIGNING.ldapValue())) {
            for (String address : mail) {
                names.add(purpose + " certificate of " + address);
            }
        }
        return names.toArray(String[]::new);
    }

    List<byte[]> publishedCertificates(String userDn) {
        List<byte[]> certificates = new ArrayList<>();
        for (Entry child : entries.search(userDn, "(" + OBJECT_CLASS + "=" + ObjectClassNames.PUBLISHED_CERTIFICATE + ")",
                SearchScope.ONELEVEL, USER_CERTIFICATE)) {
            certificates.addAll(LdapEntries.bytes(child, USER_CERTIFICATE));
        }
        return certificates;
    }

    List<MailCarryingChild> publishedCertificatesWithMail() {
        List<MailCarryingChild> children = new ArrayList<>();
        for (Entry child : entries.search(layout.suffix(), "(&(" + OBJECT_CLASS + "="
                + ObjectClassNames.PUBLISHED_CERTIFICATE + ")(" + MAIL + "=*))", SearchScope.SUBTREE, MAIL,
                CERTIFICATE_PURPOSE)) {
            if (child.getDn().size() < 2) {
                continue;
            }
            String purpose = LdapEntries.first(child, CERTIFICATE_PURPOSE);
            children.add(new MailCarryingChild(child.getDn().getName(), child.getDn().getParent().getName(),
                    purpose == null ? child.getDn().getRdn().getValue() : purpose, LdapEntries.strings(child, MAIL)));
        }
        return children;
    }

    boolean removeMailOfPublishedCertificate(MailCarryingChild child) {
        List<Modification> modifications = new ArrayList<>();
        modifications.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, MAIL,
                child.mail().toArray(String[]::new)));
        String name;
        try {
            name = new Dn(child.dn()).getRdn().getValue();
        } catch (LdapInvalidDnException e) {
            throw LdapEntries.failure("remove the mail of", child.dn(), e);
        }
        // The names putPublishedCertificate gives; a replace of cn keeps the value of the RDN.
        if (name.equalsIgnoreCase(child.purpose())) {
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CN,
                    childNames(name, child.mail())));
        }
        return testAndSet(child.dn(), "remove the mail of", modifications);
    }

    boolean putEncryptionCertificateFirst(String userDn, byte[] encryption, byte[] signing) {
        return testAndSet(userDn, "put the encryption certificate first on",
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE,
                        new DefaultAttribute(USER_CERTIFICATE_BINARY, signing, encryption)),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE,
                        new DefaultAttribute(USER_CERTIFICATE_BINARY, encryption, signing)));
    }

    int removePublishedCertificates(String userDn) {
        int removed = 0;
        for (Entry child : entries.search(userDn, "(" + OBJECT_CLASS + "=" + ObjectClassNames.PUBLISHED_CERTIFICATE + ")",
                SearchScope.ONELEVEL, "1.1")) {
            entries.delete(child.getDn().getName());
            removed++;
        }
        return removed;
    }

    void fail(String dn, String reason) {
        List<Modification> modifications = new ArrayList<>(List.of(
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_STATE,
                        EnrollmentState.FAILED.ldapValue()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason)));
        modifications.addAll(ClaimChanges.clear());
        entries.modify(dn, modifications.toArray(Modification[]::new));
    }

    void failKeepingClaim(String dn, String reason, Claim held, List<byte[]> stillToRevoke) {
        List<Modification> modifications = new ArrayList<>(List.of(
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_STATE,
                        EnrollmentState.FAILED.ldapValue()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason)));
        modifications.addAll(ClaimChanges.keep(held, stillToRevoke));
        entries.modify(dn, modifications.toArray(Modification[]::new));
    }

    void markRevoked(String dn) {
        List<Modification> modifications = new ArrayList<>(List.of(
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_CERTIFICATE_BINARY),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_CERTIFICATE),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_SMIME_CERTIFICATE),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_TOKEN),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE_EXPIRES),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_STATE,
                        EnrollmentState.REVOKED.ldapValue())));
        modifications.addAll(ClaimChanges.clear());
        entries.modify(dn, modifications.toArray(Modification[]::new));
    }

    void removeKeyPackage(String dn) {
        entries.modify(dn,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_TOKEN),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE_EXPIRES));
    }

    private boolean secretTestAndSet(String dn, String what, Modification... modifications) {
        try {
            entries.modifyOrThrow(dn, modifications);
            return true;
        } catch (LdapNoSuchAttributeException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.secretWriteFailure(what, dn, e);
        }
    }

    private boolean testAndSet(String dn, String what, List<Modification> modifications) {
        return testAndSet(dn, what, modifications.toArray(Modification[]::new));
    }

    private boolean testAndSet(String dn, String what, Modification... modifications) {
        try {
            entries.modifyOrThrow(dn, modifications);
            return true;
        } catch (LdapNoSuchAttributeException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure(what, dn, e);
        }
    }

    private static UserEntry user(Entry entry) {
        String dn = entry.getDn().getName();
        String rawState = LdapEntries.first(entry, ENROLLMENT_STATE);
        EnrollmentState state = null;
        if (rawState != null) {
            try {
                state = LdapEnumeration.parse(EnrollmentState.class, ENROLLMENT_STATE, rawState);
            } catch (IllegalArgumentException e) {
                state = null; // rawState keeps the value for the message
            }
        }
        String rawReason = LdapEntries.first(entry, REVOCATION_REASON);
        RevocationReason reason = null;
        if (rawReason != null) {
            try {
                reason = LdapEnumeration.parse(RevocationReason.class, REVOCATION_REASON, rawReason);
            } catch (IllegalArgumentException e) {
                reason = RevocationReason.UNSPECIFIED; // the guard refuses bad values; never block a revocation
            }
        }
        List<byte[]> signingRequest = LdapEntries.bytes(entry, SIGNING_REQUEST);
        List<byte[]> deliveryKey = LdapEntries.bytes(entry, DELIVERY_KEY);
        return new UserEntry(dn, state, rawState, LdapEntries.first(entry, ADMINISTRATIVE_GROUP),
                signingRequest.isEmpty() ? null : signingRequest.get(0), LdapEntries.strings(entry, MAIL),
                ClaimChanges.read(entry, dn),
                LdapTimes.parse(LdapEntries.first(entry, KEY_PACKAGE_EXPIRES), dn, KEY_PACKAGE_EXPIRES),
                !LdapEntries.bytes(entry, KEY_PACKAGE).isEmpty(), LdapEntries.bytes(entry, USER_CERTIFICATE), reason,
                LdapEntries.strings(entry, OBJECT_CLASS).stream()
                        .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.KMS_USER)),
                LdapEntries.strings(entry, ARCHIVE_RECORD), deliveryKey.isEmpty() ? null : deliveryKey.get(0));
    }


}
