package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CA_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.CA_ISSUERS_URL;
import static org.dirkms.schema.AttributeNames.OCSP_URL;
import static org.dirkms.schema.AttributeNames.CA_STATE;
import static org.dirkms.schema.AttributeNames.CAPACITY;
import static org.dirkms.schema.AttributeNames.HEARTBEAT;
import static org.dirkms.schema.AttributeNames.CERTIFICATE_REVOCATION_LIST;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.CRL_DISTRIBUTION_POINT;
import static org.dirkms.schema.AttributeNames.INSTALLED_TEMPLATE;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PRIORITY;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.exception.LdapOperationException;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyRequestImpl;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.controls.OpaqueControl;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.agent.ca.CaRecords.CaEntry;
import org.dirkms.schema.CaState;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.ObjectClassNames;

/**
 * CA entries: {@code kmsCertificationAuthority} + {@code pkiCA} (RFC 4523 section 3.2) at the
 * CA's subject DN. Certificates and CRLs are written with the {@code ;binary} transfer option,
 * which RFC 4523 section 2 requires for these attributes.
 */
final class LdapCaEntries {
    private static final String CA_CERTIFICATE_BINARY = CA_CERTIFICATE + ";binary";
    private static final String CRL_BINARY = CERTIFICATE_REVOCATION_LIST + ";binary";

    /** The LDAP assertion control, RFC 4528 section 3. */
    private static final String ASSERTION_CONTROL = "1.3.6.1.1.12";
    private static final String ENTRY_CSN = "entryCSN";

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapCaEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    void add(CaEntry ca) {
        try {
            Dn dn = new Dn(ca.dn());
            if (!dn.getParent().equals(new Dn(layout.certificationAuthorities()))) {
                throw new DirectoryAccessException("a CA entry must sit directly under " + layout.certificationAuthorities()
                        + ", not at " + ca.dn());
            }
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.CERTIFICATION_AUTHORITY, ObjectClassNames.PKI_CA);
            entry.add(CN, dn.getRdn().getValue());
            entry.add(CA_STATE, ca.state().ldapValue());
            entry.add(PRIORITY, Integer.toString(ca.priority()));
            // pkiCA allows an empty cACertificate: a subordinate awaiting its certificate has none.
            if (!ca.certificates().isEmpty()) {
                entry.add(CA_CERTIFICATE_BINARY, ca.certificates().toArray(new byte[0][]));
            }
            if (ca.crl() != null) {
                entry.add(CRL_BINARY, ca.crl());
            }
            if (!ca.installedTemplates().isEmpty()) {
                entry.add(INSTALLED_TEMPLATE, ca.installedTemplates().toArray(new String[0]));
            }
            if (!ca.crlDistributionPoints().isEmpty()) {
                entry.add(CRL_DISTRIBUTION_POINT, ca.crlDistributionPoints().toArray(new String[0]));
            }
            if (!ca.ocspUrls().isEmpty()) {
                entry.add(OCSP_URL, ca.ocspUrls().toArray(new String[0]));
            }
            if (!ca.caIssuersUrls().isEmpty()) {
                entry.add(CA_ISSUERS_URL, ca.caIssuersUrls().toArray(new String[0]));
            }
            entries.add(entry);
        } catch (LdapException e) {
            throw LdapEntries.failure("add the CA entry", ca.dn(), e);
        }
    }

    Optional<CaEntry> read(String dn) {
        return entries.read(dn, "*").map(LdapCaEntries::toRecord);
    }

    List<CaEntry> list() {
        return entries.search(layout.certificationAuthorities(),
                "(" + OBJECT_CLASS + "=" + ObjectClassNames.CERTIFICATION_AUTHORITY + ")", SearchScope.ONELEVEL, "*")
                .stream().map(LdapCaEntries::toRecord).sorted(Comparator.comparingInt(CaEntry::priority)).toList();
    }

    void recordCrlDistributionPoints(String dn, List<String> urls) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CRL_DISTRIBUTION_POINT,
                urls.toArray(new String[0])));
    }

    void recordHttpAccess(String dn, List<String> crlDistributionPoints, List<String> ocspUrls,
            List<String> caIssuersUrls) {
        entries.modify(dn,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CRL_DISTRIBUTION_POINT,
                        crlDistributionPoints.toArray(new String[0])),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, OCSP_URL, ocspUrls.toArray(new String[0])),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CA_ISSUERS_URL,
                        caIssuersUrls.toArray(new String[0])));
    }

    Optional<String> changeSequence(String dn) {
        return entries.read(dn, ENTRY_CSN).flatMap(entry -> LdapEntries.strings(entry, ENTRY_CSN).stream().findFirst());
    }

    /** The state, installed templates and capacity of the CA at {@code dn}, without its certificates and CRL. */
    Optional<org.dirkms.agent.ca.CaRecords.ServingState> readServingState(String dn) {
        return entries.read(dn, CA_STATE, INSTALLED_TEMPLATE, CAPACITY).map(entry -> {
            String capacity = LdapEntries.first(entry, CAPACITY);
            int parsed;
            try {
                parsed = capacity == null ? 0 : Math.max(0, Integer.parseInt(capacity.trim()));
            } catch (NumberFormatException e) {
                throw new DirectoryAccessException("CA entry " + dn + ": " + CAPACITY + " '" + capacity
                        + "' is not an integer");
            }
            return new org.dirkms.agent.ca.CaRecords.ServingState(state(dn, LdapEntries.strings(entry, CA_STATE)),
                    LdapEntries.strings(entry, INSTALLED_TEMPLATE), parsed);
        });
    }

    /** Writes the CA's heartbeat. */
    void heartbeat(String dn, java.time.Instant time) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, HEARTBEAT,
                LdapTimes.format(time)));
    }

    void activate(String dn, List<byte[]> certificates, CaState state) {
        entries.modify(dn,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CA_CERTIFICATE_BINARY,
                        certificates.toArray(new byte[0][])),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CA_STATE, state.ldapValue()));
    }

    /**
     * The compare-and-swap of {@link CaRecords#replaceCrl}. RFC 4511 section 4.6: the changes
     * of one modify are applied atomically, and deleting a value the attribute does not hold
     * fails the whole modify with noSuchAttribute. So "add the new CRL, delete the exact old
     * one" succeeds only while the old CRL is still the published one (adding a value that is
     * there already fails too, with attributeOrValueExists; either way nothing changed). Under
     * the dirkms guard a successor that another process published first makes the add fail
     * earlier, with constraintViolation (a CRL number must grow): a lost swap too.
     *
     * <p>Deleting one value needs the server to match values of certificateRevocationList.
     * RFC 4523 section 2.3 defines none; ApacheDS AM27's core schema gives it
     * certificateListExactMatch but no comparator of that rule's assertion (issuer and
     * thisUpdate, RFC 4523 section 2.6), and matches whole values: CrlConcurrencyIT measures,
     * over a real socket, that two CRLs of the same issuer made in the same second are told
     * apart, and that a stale delete is refused, for the agent and for uid=admin through the
     * guard. A server that matched values by that assertion instead would take two CRLs of one
     * CA issued within the same second for equal, and a swap racing within that second could
     * then replace the wrong one. A server that cannot match the values at all (OpenLDAP)
     * answers inappropriateMatching, and the swap is done by {@link #replaceCrlAsserted} instead.
     *
     * <p>With no CRL yet, the add of a value that appeared meanwhile and equals this one fails
     * with attributeOrValueExists; a different value would be added beside it (the attribute is
     * multi-valued). Only a CA set up without one (a subordinate before its install) meets this
     * case, and only {@code dirkms ca install} writes that first CRL.
     */
    boolean replaceCrl(String dn, byte[] expected, byte[] crl) {
        try {
            if (expected == null) {
                entries.modifyOrThrow(dn, new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CRL_BINARY, crl));
            } else {
                // Add before delete: the attribute never becomes empty in between, so ApacheDS keeps
                // it under the name it was added with, certificateRevocationList;binary; delete
                // first and it re-creates it as plain certificateRevocationList.
                entries.modifyOrThrow(dn,
                        new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CRL_BINARY, crl),
                        new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CRL_BINARY, expected));
            }
            return true;
        } catch (LdapNoSuchAttributeException | LdapAttributeInUseException e) {
            return false;
        } catch (LdapException e) {
            ResultCodeEnum code = e instanceof LdapOperationException operation ? operation.getResultCode() : null;
            if (code == ResultCodeEnum.INAPPROPRIATE_MATCHING) {
                // OpenLDAP 2.5 (Debian core.schema) answers this, for the add as for the delete.
                return replaceCrlAsserted(dn, expected, crl);
            }
            if (code == ResultCodeEnum.CONSTRAINT_VIOLATION && expected != null) {
                // The dirkms guard refuses a CRL whose number is not above the published one's
                // (RFC 5280 section 5.2.3) before it matches the value to delete: another process
                // published a successor of the same CRL first. A lost swap: read again and rebuild.
                return false;
            }
            // Not LdapEntries.failure: ApacheDS echoes the whole request, two CRLs in base64, in its diagnostic.
            throw new DirectoryAccessException("cannot publish the CRL on " + dn + ": "
                    + (code == null ? e.getClass().getSimpleName() : code.getMessage()), e);
        }
    }

    /**
     * The compare-and-swap on a server that cannot match values of certificateRevocationList
     * (OpenLDAP: its core schema gives the attribute no EQUALITY rule, so it refuses to add or
     * delete one value with inappropriateMatching). One read returns the CRL and the entry's
     * entryCSN (RFC 4533 section 2.1: the change sequence number every modify of the entry
     * renews); if the CRL is the expected one, it is replaced under the LDAP assertion control
     * (RFC 4528) asserting that entryCSN is still the one read, so the server applies the
     * replace only if nothing changed the entry since, and answers assertionFailed otherwise.
     */
    private boolean replaceCrlAsserted(String dn, byte[] expected, byte[] crl) {
        Entry entry = entries.read(dn, CERTIFICATE_REVOCATION_LIST, ENTRY_CSN)
                .orElseThrow(() -> new DirectoryAccessException("cannot publish the CRL on " + dn + ": no such entry"));
        List<byte[]> published = LdapEntries.bytes(entry, CERTIFICATE_REVOCATION_LIST);
        if (!Arrays.equals(published.isEmpty() ? null : published.get(0), expected)) {
            return false;
        }
        List<String> csn = LdapEntries.strings(entry, ENTRY_CSN);
        if (csn.isEmpty()) {
            throw new DirectoryAccessException("cannot publish the CRL on " + dn + ": the server matches no values of "
                    + CERTIFICATE_REVOCATION_LIST + " (no EQUALITY rule) and returns no " + ENTRY_CSN
                    + " to assert instead, so the CRL cannot be replaced without risking a lost revocation;"
                    + " nothing was published");
        }
        try {
            entries.allowOpaqueRequestControl(ASSERTION_CONTROL);
            OpaqueControl assertion = new OpaqueControl(ASSERTION_CONTROL, true);
            assertion.setEncodedValue(equalityFilter(ENTRY_CSN, csn.get(0)));
            ModifyRequest request = new ModifyRequestImpl().setName(new Dn(dn)).replace(CRL_BINARY, crl);
            request.addControl(assertion);
            ResultCodeEnum code = entries.modify(request).getLdapResult().getResultCode();
            if (code == ResultCodeEnum.SUCCESS) {
                return true;
            }
            if (code == ResultCodeEnum.UNKNOWN) {
                // assertionFailed (122, RFC 4528 section 3): the LDAP API has no constant for it
                // and decodes it, like any code it does not know, as UNKNOWN, whose value is 122.
                // Taking another unknown code for a lost swap costs a retry, never a lost CRL.
                return false;
            }
            throw new DirectoryAccessException("cannot publish the CRL on " + dn + ": " + code.getMessage());
        } catch (LdapException e) {
            throw new DirectoryAccessException("cannot publish the CRL on " + dn + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * The BER of the filter {@code (attribute=value)}: RFC 4511 section 4.5.1, Filter's
     * equalityMatch [3] AttributeValueAssertion ::= SEQUENCE { attributeDesc OCTET STRING,
     * assertionValue OCTET STRING } — the value of the assertion control (RFC 4528 section 3).
     */
    static byte[] equalityFilter(String attribute, String value) {
        ByteArrayOutputStream assertion = new ByteArrayOutputStream();
        writeTlv(assertion, 0x04, attribute.getBytes(StandardCharsets.UTF_8));
        writeTlv(assertion, 0x04, value.getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream filter = new ByteArrayOutputStream();
        writeTlv(filter, 0xA3, assertion.toByteArray());
        return filter.toByteArray();
    }

    private static void writeTlv(ByteArrayOutputStream out, int tag, byte[] content) {
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            // X.690 section 8.1.3.5: long form, the number of length octets first.
            int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int i = octets - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
    }

    private static CaEntry toRecord(Entry entry) {
        String dn = entry.getDn().getName();
        List<byte[]> crls = LdapEntries.bytes(entry, CERTIFICATE_REVOCATION_LIST);
        List<String> state = LdapEntries.strings(entry, CA_STATE);
        List<String> priority = LdapEntries.strings(entry, PRIORITY);
        int parsedPriority;
        try {
            parsedPriority = priority.isEmpty() ? 0 : Integer.parseInt(priority.get(0));
        } catch (NumberFormatException e) {
            throw new DirectoryAccessException("CA entry " + dn + ": " + PRIORITY + " '" + priority.get(0) + "' is not an integer");
        }
        return new CaEntry(dn, LdapEntries.bytes(entry, CA_CERTIFICATE), crls.isEmpty() ? null : crls.get(0),
                state(dn, state), parsedPriority, LdapEntries.strings(entry, INSTALLED_TEMPLATE),
                LdapEntries.strings(entry, CRL_DISTRIBUTION_POINT), LdapEntries.strings(entry, OCSP_URL),
                LdapEntries.strings(entry, CA_ISSUERS_URL));
    }

    /** {@code kmsCAState} as stored (none: disabled). */
    private static CaState state(String dn, List<String> state) {
        try {
            return state.isEmpty() ? CaState.DISABLED : LdapEnumeration.parse(CaState.class, CA_STATE, state.get(0));
        } catch (IllegalArgumentException e) {
            throw new DirectoryAccessException("CA entry " + dn + ": " + e.getMessage(), e);
        }
    }
}
