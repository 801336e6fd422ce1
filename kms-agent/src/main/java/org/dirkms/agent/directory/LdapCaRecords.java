package org.dirkms.agent.directory;

import org.dirkms.agent.ca.CaRecords;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CaState;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/**
 * {@link CaRecords} over LDAP with the Apache LDAP API client, on a connection the caller
 * opened and bound (as the KMS agent) and closes. Each kind of record has its own class.
 */
public final class LdapCaRecords implements CaRecords {
    private final LdapCaEntries caEntries;
    private final LdapTemplateEntries templateEntries;
    private final LdapRequestEntries requestEntries;
    private final LdapEntries entries;
    private final DirectoryLayout layout;

    /**
     * Records below {@code layout}'s suffix over {@code connection}. The KMS attributes that
     * hold DER are declared binary to the connection's codec, so that they are never decoded
     * as UTF-8 when the connection has not loaded the server's schema.
     */
    public LdapCaRecords(LdapNetworkConnection connection, DirectoryLayout layout, Clock clock) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.layout = layout;
        this.caEntries = new LdapCaEntries(entries, layout);
        this.templateEntries = new LdapTemplateEntries(entries, layout);
        this.requestEntries = new LdapRequestEntries(entries, layout, clock);
    }

    @Override
    public void addCa(CaEntry entry) {
        caEntries.add(entry);
    }

    @Override
    public Optional<CaEntry> readCa(String dn) {
        return caEntries.read(dn);
    }

    @Override
    public List<CaEntry> listCas() {
        return caEntries.list();
    }

    @Override
    public void activateCa(String dn, List<byte[]> certificates, CaState state) {
        caEntries.activate(dn, certificates, state);
    }

    @Override
    public void recordHttpAccess(String dn, List<String> crlDistributionPoints, List<String> ocspUrls,
            List<String> caIssuersUrls) {
        caEntries.recordHttpAccess(dn, crlDistributionPoints, ocspUrls, caIssuersUrls);
    }

    @Override
    public Optional<String> changeSequence(String dn) {
        return caEntries.changeSequence(dn);
    }

    @Override
    public void recordCrlDistributionPoints(String dn, List<String> urls) {
        caEntries.recordCrlDistributionPoints(dn, urls);
    }

    @Override
    public boolean replaceCrl(String dn, byte[] expected, byte[] crl) {
        return caEntries.replaceCrl(dn, expected, crl);
    }

    @Override
    public boolean addTemplateIfAbsent(String dn, Map<String, List<String>> attributes) {
        return templateEntries.addIfAbsent(dn, attributes);
    }

    @Override
    public List<TemplateEntry> listTemplates() {
        return templateEntries.list();
    }

    @Override
    public void addRequest(String dn, String templateDn, String subjectDn, byte[] pkcs10) {
        requestEntries.add(dn, templateDn, subjectDn, pkcs10);
    }

    @Override
    public void recordIssued(String dn, String templateDn, String subjectDn, byte[] pkcs10, byte[] certificate) {
        requestEntries.addIssued(dn, templateDn, subjectDn, pkcs10, certificate);
    }

    @Override
    public List<RequestEntry> openRequests() {
        return requestEntries.open();
    }

    @Override
    public Optional<ServingState> readServingState(String dn) {
        return caEntries.readServingState(dn);
    }

    @Override
    public void heartbeat(String caDn, Instant time) {
        caEntries.heartbeat(caDn, time);
    }

    @Override
    public boolean claimRequest(String dn, String attempt, Instant leaseExpires) {
        return requestEntries.claim(dn, attempt, leaseExpires);
    }

    @Override
    public boolean takeOverRequest(String dn, Instant expiredLease, String attempt, Instant leaseExpires) {
        return requestEntries.takeOver(dn, expiredLease, attempt, leaseExpires);
    }

    @Override
    public boolean completeRequest(String dn, String attempt, byte[] certificate) {
        return requestEntries.complete(dn, attempt, certificate);
    }

    @Override
    public boolean failRequest(String dn, String attempt, String subjectDn, String reason) {
        return requestEntries.fail(dn, attempt, subjectDn, reason);
    }

    @Override
    public Duration requestLifetime() {
        return requestEntries.lifetime();
    }

    @Override
    public void setRequestLifetime(long hours) {
        if (hours <= 0) {
            throw new IllegalArgumentException("a request lifetime is a positive number of hours, not " + hours);
        }
        requestEntries.setLifetime(hours);
    }

    @Override
    public Optional<String> findKeptCertificate(Predicate<byte[]> wanted) {
        String userCertificate = AttributeNames.USER_CERTIFICATE;
        String superseded = AttributeNames.SUPERSEDED_CERTIFICATE;
        String crossCertificatePair = AttributeNames.CROSS_CERTIFICATE_PAIR;
        for (Entry entry : entries.search(layout.suffix(), "(|(" + userCertificate + "=*)(" + superseded + "=*)("
                + crossCertificatePair + "=*))", SearchScope.SUBTREE, userCertificate + ";binary", superseded,
                crossCertificatePair + ";binary")) {
            for (String attribute : List.of(userCertificate, superseded)) {
                for (byte[] certificate : LdapEntries.bytes(entry, attribute)) {
                    if (wanted.test(certificate)) {
                        return Optional.of(entry.getDn().getName());
                    }
                }
            }
            // A cross-certificate the CA issued for a partner's root (dirkms trust cross-certify).
            for (byte[] pair : LdapEntries.bytes(entry, crossCertificatePair)) {
                for (byte[] certificate : LdapTrustRecords.certificatesOfPair(pair)) {
                    if (wanted.test(certificate)) {
                        return Optional.of(entry.getDn().getName());
                    }
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<SubjectEntry> readSubject(String dn) {
        return entries.read(dn, AttributeNames.OBJECT_CLASS, AttributeNames.MAIL, AttributeNames.ENROLLMENT_STATE,
                AttributeNames.CLAIMED_BY).map(entry -> {
                    List<String> state = LdapEntries.strings(entry, AttributeNames.ENROLLMENT_STATE);
                    List<String> claim = LdapEntries.strings(entry, AttributeNames.CLAIMED_BY);
                    return new SubjectEntry(entry.getDn().getName(),
                            LdapEntries.strings(entry, AttributeNames.OBJECT_CLASS).stream()
                                    .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.KMS_USER)),
                            LdapEntries.strings(entry, AttributeNames.MAIL), state.isEmpty() ? null : state.get(0),
                            claim.isEmpty() ? null : claim.get(0));
                });
    }

    @Override
    public boolean isRequestOfClaim(String requestDn, String subjectDn, String attempt, String purpose) {
        return EnrollmentNames.isRequestOf(layout, requestDn, subjectDn, attempt, purpose);
    }
}
