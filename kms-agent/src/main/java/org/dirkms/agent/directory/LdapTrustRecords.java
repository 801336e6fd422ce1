package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CA_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.CROSS_CERTIFICATE_PAIR;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PARTNER_DOMAIN;
import static org.dirkms.schema.AttributeNames.PARTNER_SUBJECT;
import static org.dirkms.schema.AttributeNames.SIGNED_TRUST_LIST;
import static org.dirkms.schema.AttributeNames.TRUST_LIST_NEXT_UPDATE;
import static org.dirkms.schema.AttributeNames.TRUST_LIST_SEQUENCE;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.trust.TrustRecords;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/**
 * {@link TrustRecords} over LDAP with the Apache LDAP API client, on a connection the caller
 * opened and bound (as the KMS agent) and closes.
 */
public final class LdapTrustRecords implements TrustRecords {
    private static final String CA_CERTIFICATE_BINARY = CA_CERTIFICATE + ";binary";
    private static final String CROSS_CERTIFICATE_PAIR_BINARY = CROSS_CERTIFICATE_PAIR + ";binary";

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    /** Records below {@code layout}'s {@code ou=Trust} over {@code connection}. */
    public LdapTrustRecords(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.layout = layout;
    }

    @Override
    public List<PartnerEntry> partners() {
        List<PartnerEntry> partners = new ArrayList<>();
        for (Entry entry : entries.search(layout.trust(), "(objectClass=" + ObjectClassNames.TRUSTED_PARTNER + ")",
                SearchScope.ONELEVEL, CN, CA_CERTIFICATE_BINARY, PARTNER_DOMAIN, CROSS_CERTIFICATE_PAIR_BINARY,
                PARTNER_SUBJECT, LAST_ERROR)) {
            partners.add(partner(entry));
        }
        partners.sort(java.util.Comparator.comparing(PartnerEntry::dn, String.CASE_INSENSITIVE_ORDER));
        return partners;
    }

    @Override
    public Optional<PartnerEntry> partner(String name) {
        return entries.read(dn(name), OBJECT_CLASS, CN, CA_CERTIFICATE_BINARY, PARTNER_DOMAIN,
                CROSS_CERTIFICATE_PAIR_BINARY, PARTNER_SUBJECT, LAST_ERROR)
                .filter(entry -> LdapEntries.strings(entry, OBJECT_CLASS).stream()
                        .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.TRUSTED_PARTNER)))
                .map(LdapTrustRecords::partner);
    }

    private static PartnerEntry partner(Entry entry) {
        String dn = entry.getDn().getName();
        String name = entry.getDn().getRdn().getValue();
        return new PartnerEntry(dn, name, LdapEntries.bytes(entry, CA_CERTIFICATE),
                LdapEntries.strings(entry, PARTNER_DOMAIN), LdapEntries.bytes(entry, CROSS_CERTIFICATE_PAIR),
                LdapEntries.first(entry, PARTNER_SUBJECT), LdapEntries.first(entry, LAST_ERROR));
    }

    @Override
    public Optional<TrustListEntry> trustList() {
        return entries.read(layout.trustList(), TRUST_LIST_SEQUENCE, SIGNED_TRUST_LIST, TRUST_LIST_NEXT_UPDATE)
                .map(entry -> {
                    String sequence = LdapEntries.first(entry, TRUST_LIST_SEQUENCE);
                    List<byte[]> list = LdapEntries.bytes(entry, SIGNED_TRUST_LIST);
                    String next = LdapEntries.first(entry, TRUST_LIST_NEXT_UPDATE);
                    long number;
                    try {
                        number = sequence == null ? 0 : Long.parseLong(sequence.trim());
                    } catch (NumberFormatException e) {
                        throw new DirectoryAccessException(layout.trustList() + " has " + TRUST_LIST_SEQUENCE + " '"
                                + sequence + "', which is not a number");
                    }
                    return new TrustListEntry(layout.trustList(), number, list.isEmpty() ? null : list.get(0),
                            next == null ? null : LdapTimes.parse(next, layout.trustList(), TRUST_LIST_NEXT_UPDATE));
                });
    }

    @Override
    public boolean publishTrustList(Long expectedSequence, long sequence, byte[] signedList, Instant nextUpdate) {
        String dn = layout.trustList();
        try {
            if (expectedSequence == null) {
                Entry entry = new DefaultEntry(dn);
                entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.TRUST_LIST);
                entry.add(CN, "Trust List");
                entry.add(TRUST_LIST_SEQUENCE, Long.toString(sequence));
                if (signedList != null) {
                    entry.add(SIGNED_TRUST_LIST, signedList);
                    entry.add(TRUST_LIST_NEXT_UPDATE, LdapTimes.format(nextUpdate));
                }
                entries.add(entry);
                return true;
            }
            List<Modification> changes = new ArrayList<>();
            // Delete the value read, then add its successor, in one modify (RFC 4511 section
            // 4.6: applied in order, atomically): it fails with noSuchAttribute when another
            // process changed the sequence first. Single-valued: the delete goes first.
            changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, TRUST_LIST_SEQUENCE,
                    Long.toString(expectedSequence)));
            changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, TRUST_LIST_SEQUENCE,
                    Long.toString(sequence)));
            if (signedList != null) {
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, SIGNED_TRUST_LIST,
                        signedList));
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, TRUST_LIST_NEXT_UPDATE,
                        LdapTimes.format(nextUpdate)));
            } else {
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, SIGNED_TRUST_LIST));
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, TRUST_LIST_NEXT_UPDATE));
            }
            entries.modifyOrThrow(dn, changes.toArray(new Modification[0]));
            return true;
        } catch (LdapEntryAlreadyExistsException | LdapNoSuchAttributeException e) {
            return false;
        } catch (LdapException e) {
            // Not the server's diagnostic: ApacheDS echoes the request, the whole list in base64.
            throw new DirectoryAccessException("cannot publish the trust list on " + dn + ": "
                    + (e instanceof org.apache.directory.api.ldap.model.exception.LdapOperationException operation
                            ? operation.getResultCode().getMessage() : e.getClass().getSimpleName()), e);
        }
    }

    @Override
    public void recordPartnerCheck(String dn, String subject, String lastError) {
        List<Modification> changes = new ArrayList<>();
        if (subject != null) {
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, PARTNER_SUBJECT, subject));
        }
        changes.add(lastError == null
                ? new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR)
                : new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, lastError));
        entries.modify(dn, changes.toArray(new Modification[0]));
    }

    @Override
    public void addPartner(String name, byte[] certificate, List<String> domains, String subject) {
        String dn = dn(name);
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.TRUSTED_PARTNER);
            entry.add(CN, name);
            entry.add(CA_CERTIFICATE_BINARY, certificate);
            if (!domains.isEmpty()) {
                entry.add(PARTNER_DOMAIN, domains.toArray(new String[0]));
            }
            entry.add(PARTNER_SUBJECT, subject);
            entries.add(entry);
        } catch (LdapException e) {
            throw LdapEntries.failure("add", dn, e);
        }
    }

    @Override
    public void deletePartner(String dn) {
        entries.delete(dn);
    }

    @Override
    public void publishCrossCertificatePair(String dn, byte[] pair) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                CROSS_CERTIFICATE_PAIR_BINARY, pair));
    }

    private String dn(String name) {
        return CN + "=" + Rdn.escapeValue(name) + "," + layout.trust();
    }

    /**
     * The certificates of an X.509 CertificatePair's DER (RFC 4523 section 2.3: {@code SEQUENCE
     * { issuedToThisCA [0] EXPLICIT Certificate OPTIONAL, issuedByThisCA [1] EXPLICIT Certificate
     * OPTIONAL }}), read without a cryptographic library: the records cross this boundary as
     * DER. Empty when it is not one.
     */
    static List<byte[]> certificatesOfPair(byte[] der) {
        List<byte[]> certificates = new ArrayList<>();
        try {
            int[] outer = header(der, 0);
            if ((der[0] & 0xff) != 0x30 || outer[0] + outer[1] != der.length) {
                return List.of();
            }
            int position = outer[0];
            while (position < der.length) {
                int tag = der[position] & 0xff;
                int[] element = header(der, position);
                if (tag != 0xa0 && tag != 0xa1) {
                    return List.of();
                }
                int inner = position + element[0];
                int[] certificate = header(der, inner);
                certificates.add(java.util.Arrays.copyOfRange(der, inner, inner + certificate[0] + certificate[1]));
                position = position + element[0] + element[1];
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            return List.of();
        }
        return certificates;
    }

    /** The length of the tag and length octets at {@code offset}, and the content's length (DER, X.690 8.1.3). */
    private static int[] header(byte[] der, int offset) {
        int first = der[offset + 1] & 0xff;
        if (first < 0x80) {
            return new int[] {2, first};
        }
        int count = first & 0x7f;
        if (count == 0 || count > 3) {
            throw new IllegalArgumentException("unsupported length");
        }
        int length = 0;
        for (int i = 0; i < count; i++) {
            length = (length << 8) | (der[offset + 2 + i] & 0xff);
        }
        if (offset + 2 + count + length > der.length) {
            throw new IllegalArgumentException("truncated");
        }
        return new int[] {2 + count, length};
    }
}
