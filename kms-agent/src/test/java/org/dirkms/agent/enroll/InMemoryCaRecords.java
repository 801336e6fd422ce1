package org.dirkms.agent.enroll;

import static org.dirkms.agent.enroll.InMemoryDirectory.Change.add;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.delete;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.replace;
import static org.dirkms.schema.AttributeNames.CA_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.CA_STATE;
import static org.dirkms.schema.AttributeNames.CERTIFICATE_REVOCATION_LIST;
import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.CRL_DISTRIBUTION_POINT;
import static org.dirkms.schema.AttributeNames.ENROLLMENT_STATE;
import static org.dirkms.schema.AttributeNames.INSTALLED_TEMPLATE;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.MAIL;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PKCS10_REQUEST;
import static org.dirkms.schema.AttributeNames.PRIORITY;
import static org.dirkms.schema.AttributeNames.REQUEST_STATE;
import static org.dirkms.schema.AttributeNames.REQUEST_SUBJECT;
import static org.dirkms.schema.AttributeNames.REQUEST_TEMPLATE;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.directory.EnrollmentNames;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.enroll.InMemoryDirectory.Entry;
import org.dirkms.agent.enroll.InMemoryDirectory.OperationFailed;
import org.dirkms.agent.enroll.InMemoryDirectory.ResultCode;
import org.dirkms.agent.enroll.InMemoryDirectory.Session;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CaState;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RequestState;

/**
 * {@link CaRecords} in an {@link InMemoryDirectory}, one process's {@link Session}, with the
 * operations of {@code LdapCaRecords}: the CRL's compare-and-swap adds the new CRL and deletes
 * exactly the expected one in one modify (false, nothing changed, when the expected one is not
 * published any more), and a queued request is claimed by deleting the value {@code pending}.
 */
final class InMemoryCaRecords implements CaRecords {
    private final Session session;
    private final DirectoryLayout layout;

    InMemoryCaRecords(Session session) {
        this.session = session;
        this.layout = session.directory().layout();
    }

    @Override
    public void addCa(CaEntry ca) {
        if (!InMemoryDirectory.parentOf(ca.dn()).equals(InMemoryDirectory.normal(layout.certificationAuthorities()))) {
            throw new DirectoryAccessException("a CA entry must sit directly under " + layout.certificationAuthorities());
        }
        Map<String, List<Object>> attributes = new LinkedHashMap<>();
        attributes.put(OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.CERTIFICATION_AUTHORITY,
                ObjectClassNames.PKI_CA));
        attributes.put(CN, List.of(InMemoryEnrollmentRecords.rdnValue(ca.dn())));
        attributes.put(CA_STATE, List.of(ca.state().ldapValue()));
        attributes.put(PRIORITY, List.of(Integer.toString(ca.priority())));
        attributes.put(CA_CERTIFICATE, List.copyOf(ca.certificates()));
        if (ca.crl() != null) {
            attributes.put(CERTIFICATE_REVOCATION_LIST, List.of(ca.crl()));
        }
        attributes.put(INSTALLED_TEMPLATE, List.copyOf(ca.installedTemplates()));
        attributes.put(CRL_DISTRIBUTION_POINT, List.copyOf(ca.crlDistributionPoints()));
        attributes.put(AttributeNames.OCSP_URL, List.copyOf(ca.ocspUrls()));
        attributes.put(AttributeNames.CA_ISSUERS_URL, List.copyOf(ca.caIssuersUrls()));
        try {
            session.add(ca.dn(), attributes);
        } catch (OperationFailed e) {
            throw InMemoryEnrollmentRecords.failure("add the CA entry", ca.dn(), e);
        }
    }

    @Override
    public Optional<CaEntry> readCa(String dn) {
        return session.read(dn).map(InMemoryCaRecords::ca);
    }

    @Override
    public List<CaEntry> listCas() {
        return session.children(layout.certificationAuthorities(), entry -> entry.is(ObjectClassNames.CERTIFICATION_AUTHORITY))
                .stream().map(InMemoryCaRecords::ca).sorted(Comparator.comparingInt(CaEntry::priority)).toList();
    }

    @Override
    public void recordHttpAccess(String dn, List<String> crlDistributionPoints, List<String> ocspUrls,
            List<String> caIssuersUrls) {
        modify(dn, replace(CRL_DISTRIBUTION_POINT, crlDistributionPoints),
                replace(AttributeNames.OCSP_URL, ocspUrls), replace(AttributeNames.CA_ISSUERS_URL, caIssuersUrls));
    }

    /** The in-memory directory keeps no entryCSN: a digest of the CRL changes whenever it does. */
    @Override
    public Optional<String> changeSequence(String dn) {
        return session.read(dn).map(entry -> {
            List<byte[]> crls = entry.bytes(CERTIFICATE_REVOCATION_LIST);
            return crls.isEmpty() ? "none" : java.util.HexFormat.of().formatHex(sha256(crls.get(0)));
        });
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void recordCrlDistributionPoints(String dn, List<String> urls) {
        modify(dn, replace(CRL_DISTRIBUTION_POINT, urls));
    }

    @Override
    public void activateCa(String dn, List<byte[]> certificates, CaState state) {
        modify(dn, replace(CA_CERTIFICATE, certificates), replace(CA_STATE, state.ldapValue()));
    }

    @Override
    public Optional<String> findKeptCertificate(java.util.function.Predicate<byte[]> wanted) {
        for (Entry entry : session.search(layout.suffix(), candidate -> true)) {
            for (String attribute : List.of(USER_CERTIFICATE, AttributeNames.SUPERSEDED_CERTIFICATE)) {
                for (byte[] certificate : entry.bytes(attribute)) {
                    if (wanted.test(certificate)) {
                        return Optional.of(entry.dn());
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Adds the new CRL and deletes the expected one in one modify: the compare-and-swap of {@code LdapCaEntries}. */
    @Override
    public boolean isRequestOfClaim(String requestDn, String subjectDn, String attempt, String purpose) {
        return EnrollmentNames.isRequestOf(layout, requestDn, subjectDn, attempt, purpose);
    }

    @Override
    public boolean replaceCrl(String dn, byte[] expected, byte[] crl) {
        try {
            if (expected == null) {
                session.modify(dn, add(CERTIFICATE_REVOCATION_LIST, (Object) crl));
            } else {
                session.modify(dn, add(CERTIFICATE_REVOCATION_LIST, (Object) crl),
                        delete(CERTIFICATE_REVOCATION_LIST, (Object) expected));
            }
            return true;
        } catch (OperationFailed e) {
            if (e.code() == ResultCode.NO_SUCH_ATTRIBUTE || e.code() == ResultCode.ATTRIBUTE_OR_VALUE_EXISTS) {
                return false;
            }
            throw InMemoryEnrollmentRecords.failure("publish the CRL on", dn, e);
        }
    }

    @Override
    public boolean addTemplateIfAbsent(String dn, Map<String, List<String>> attributes) {
        Map<String, List<Object>> values = new LinkedHashMap<>();
        values.put(OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.CERTIFICATE_TEMPLATE));
        attributes.forEach((name, list) -> values.put(name, List.copyOf(list)));
        try {
            session.add(dn, values);
            return true;
        } catch (OperationFailed e) {
            if (e.code() == ResultCode.ENTRY_ALREADY_EXISTS) {
                return false;
            }
            throw InMemoryEnrollmentRecords.failure("add the certificate template", dn, e);
        }
    }

    @Override
    public List<TemplateEntry> listTemplates() {
        List<TemplateEntry> templates = new ArrayList<>();
        for (Entry entry : session.children(layout.certificateTemplates(),
                entry -> entry.is(ObjectClassNames.CERTIFICATE_TEMPLATE))) {
            Map<String, List<String>> attributes = new LinkedHashMap<>();
            for (String name : entry.attributeNames()) {
                if (!name.equalsIgnoreCase(OBJECT_CLASS)) {
                    attributes.put(name, entry.strings(name));
                }
            }
            templates.add(new TemplateEntry(entry.dn(), attributes));
        }
        return templates;
    }

    @Override
    public void addRequest(String dn, String templateDn, String subjectDn, byte[] pkcs10) {
        InMemoryEnrollmentRecords.addRequest(session, dn, templateDn, subjectDn, pkcs10);
    }

    @Override
    public void recordIssued(String dn, String templateDn, String subjectDn, byte[] pkcs10, byte[] certificate) {
        InMemoryEnrollmentRecords.addRequest(session, dn, templateDn, subjectDn, pkcs10);
        modify(dn, replace(USER_CERTIFICATE, certificate), replace(REQUEST_STATE, RequestState.ISSUED.ldapValue()));
    }

    @Override
    public List<RequestEntry> openRequests() {
        return session.children(layout.requests(), entry -> entry.is(ObjectClassNames.CERTIFICATE_REQUEST)
                && (RequestState.PENDING.ldapValue().equals(entry.string(REQUEST_STATE))
                        || RequestState.CLAIMED.ldapValue().equals(entry.string(REQUEST_STATE)))).stream()
                .map(entry -> new RequestEntry(entry.dn(), entry.string(REQUEST_TEMPLATE), entry.string(REQUEST_SUBJECT),
                        entry.bytes(PKCS10_REQUEST).isEmpty() ? new byte[0] : entry.bytes(PKCS10_REQUEST).get(0),
                        RequestState.PENDING.ldapValue().equals(entry.string(REQUEST_STATE)) ? RequestState.PENDING
                                : RequestState.CLAIMED, entry.string(CLAIMED_BY),
                        InMemoryEnrollmentRecords.parseTime(entry.string(LEASE_EXPIRES), entry.dn()),
                        InMemoryEnrollmentRecords.parseTime(entry.string(AttributeNames.EXPIRES_TIME), entry.dn())))
                .toList();
    }

    @Override
    public Optional<ServingState> readServingState(String dn) {
        return session.read(dn).map(entry -> new ServingState(entry.string(CA_STATE) == null ? CaState.DISABLED
                : LdapEnumeration.parse(CaState.class, CA_STATE, entry.string(CA_STATE)), entry.strings(INSTALLED_TEMPLATE),
                entry.string(AttributeNames.CAPACITY) == null ? 0 : Integer.parseInt(entry.string(AttributeNames.CAPACITY))));
    }

    @Override
    public void heartbeat(String caDn, java.time.Instant time) {
        modify(caDn, replace(AttributeNames.HEARTBEAT, InMemoryEnrollmentRecords.time(time)));
    }

    @Override
    public boolean claimRequest(String dn, String attempt, java.time.Instant leaseExpires) {
        return testAndSet(dn, delete(REQUEST_STATE, RequestState.PENDING.ldapValue()),
                add(REQUEST_STATE, RequestState.CLAIMED.ldapValue()), replace(CLAIMED_BY, attempt),
                replace(LEASE_EXPIRES, InMemoryEnrollmentRecords.time(leaseExpires)));
    }

    @Override
    public boolean takeOverRequest(String dn, java.time.Instant expiredLease, String attempt,
            java.time.Instant leaseExpires) {
        return testAndSet(dn, delete(LEASE_EXPIRES, InMemoryEnrollmentRecords.time(expiredLease)),
                add(LEASE_EXPIRES, InMemoryEnrollmentRecords.time(leaseExpires)), replace(CLAIMED_BY, attempt));
    }

    @Override
    public boolean completeRequest(String dn, String attempt, byte[] certificate) {
        return testAndSet(dn, delete(CLAIMED_BY, attempt), delete(REQUEST_STATE, RequestState.CLAIMED.ldapValue()),
                add(REQUEST_STATE, RequestState.ISSUED.ldapValue()), replace(USER_CERTIFICATE, certificate),
                replace(LEASE_EXPIRES));
    }

    @Override
    public boolean failRequest(String dn, String attempt, String subjectDn, String reason) {
        if (!testAndSet(dn, delete(CLAIMED_BY, attempt), delete(REQUEST_STATE, RequestState.CLAIMED.ldapValue()),
                add(REQUEST_STATE, RequestState.FAILED.ldapValue()), replace(LAST_ERROR, reason), replace(LEASE_EXPIRES))) {
            return false;
        }
        if (subjectDn != null && session.read(subjectDn).map(entry -> entry.is(ObjectClassNames.KMS_USER)).orElse(false)) {
            modify(subjectDn, replace(LAST_ERROR, reason));
        }
        return true;
    }

    @Override
    public java.time.Duration requestLifetime() {
        return java.time.Duration.ofHours(24);
    }

    @Override
    public void setRequestLifetime(long hours) {
        throw new UnsupportedOperationException("the in-memory queue keeps the default lifetime");
    }

    private boolean testAndSet(String dn, InMemoryDirectory.Change... changes) {
        try {
            session.modify(dn, changes);
            return true;
        } catch (OperationFailed e) {
            if (e.code() == ResultCode.NO_SUCH_ATTRIBUTE || e.code() == ResultCode.NO_SUCH_OBJECT) {
                return false;
            }
            throw InMemoryEnrollmentRecords.failure("modify", dn, e);
        }
    }

    @Override
    public Optional<SubjectEntry> readSubject(String dn) {
        return session.read(dn).map(entry -> new SubjectEntry(entry.dn(), entry.is(ObjectClassNames.KMS_USER),
                entry.strings(MAIL), entry.string(ENROLLMENT_STATE), entry.string(CLAIMED_BY)));
    }

    private static CaEntry ca(Entry entry) {
        String state = entry.string(CA_STATE);
        List<byte[]> crls = entry.bytes(CERTIFICATE_REVOCATION_LIST);
        return new CaEntry(entry.dn(), entry.bytes(CA_CERTIFICATE), crls.isEmpty() ? null : crls.get(0),
                state == null ? CaState.DISABLED : LdapEnumeration.parse(CaState.class, CA_STATE, state),
                entry.string(PRIORITY) == null ? 0 : Integer.parseInt(entry.string(PRIORITY)),
                entry.strings(INSTALLED_TEMPLATE), entry.strings(CRL_DISTRIBUTION_POINT),
                entry.strings(AttributeNames.OCSP_URL), entry.strings(AttributeNames.CA_ISSUERS_URL));
    }

    private void modify(String dn, InMemoryDirectory.Change... changes) {
        try {
            session.modify(dn, changes);
        } catch (OperationFailed e) {
            throw InMemoryEnrollmentRecords.failure("modify", dn, e);
        }
    }
}
