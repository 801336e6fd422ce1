package org.dirkms.it.enroll;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.schema.EnrollmentState;

/**
 * {@link EnrollmentRecords} that passes every call to the real LDAP records and remembers the
 * writes in order (each one directory write), so that a test can check the order of the
 * enrollment's steps and count its writes; {@link #failArchiveOnce} makes the next archive
 * add fail as a directory outage would, {@link #crashAfterPublishOnce} cuts the agent off right
 * after its next publication reached the directory.
 */
final class RecordingRecords implements EnrollmentRecords {
    private final EnrollmentRecords real;
    final List<String> writes = new CopyOnWriteArrayList<>();
    volatile boolean failArchiveOnce;
    volatile boolean failEncryptionChildOnce;
    volatile boolean crashAfterPublishOnce;

    RecordingRecords(EnrollmentRecords real) {
        this.real = real;
    }

    @Override
    public Optional<UserEntry> readUser(String dn) {
        return real.readUser(dn);
    }

    @Override
    public List<UserEntry> usersInState(EnrollmentState... states) {
        return real.usersInState(states);
    }

    @Override
    public List<UserEntry> claimedUsersIn(EnrollmentState... states) {
        return real.claimedUsersIn(states);
    }

    @Override
    public List<UserEntry> usersWithPackage() {
        return real.usersWithPackage();
    }

    @Override
    public List<String> findDns(String baseDn, String filter) {
        return real.findDns(baseDn, filter);
    }

    @Override
    public List<AddressHolder> entriesWithMail(List<String> addresses) {
        return real.entriesWithMail(addresses);
    }

    @Override
    public boolean claim(String dn, EnrollmentState from, Claim claim) {
        writes.add("claim");
        return real.claim(dn, from, claim);
    }

    @Override
    public boolean claimFrom(String dn, EnrollmentState from, boolean addKmsUserClass, Claim claim) {
        writes.add("claim");
        return real.claimFrom(dn, from, addKmsUserClass, claim);
    }

    @Override
    public char[] readEnrollmentToken(String dn) {
        return real.readEnrollmentToken(dn);
    }

    @Override
    public boolean takeOver(String dn, Claim expired, Claim successor) {
        writes.add("takeOver");
        return real.takeOver(dn, expired, successor);
    }

    @Override
    public void requestEnrollment(String dn) {
        writes.add("requestEnrollment");
        real.requestEnrollment(dn);
    }

    @Override
    public boolean publish(String dn, Claim held, Publication publication) {
        writes.add("publish");
        boolean published = real.publish(dn, held, publication);
        if (published && crashAfterPublishOnce) {
            crashAfterPublishOnce = false;
            // The publication reached the directory; the process dies before its next step.
            throw new org.dirkms.agent.directory.DirectoryAccessException("the test cut the directory off after"
                    + " publishing at " + dn);
        }
        return published;
    }

    @Override
    public boolean renewLease(String dn, Claim held, Instant newLease) {
        writes.add("renewLease");
        return real.renewLease(dn, held, newLease);
    }

    @Override
    public boolean amendClaim(String dn, Claim held, List<byte[]> superseded) {
        writes.add("amendClaim");
        return real.amendClaim(dn, held, superseded);
    }

    @Override
    public boolean endClaim(String dn, Claim held) {
        writes.add("endClaim");
        return real.endClaim(dn, held);
    }

    @Override
    public void putPublishedCertificate(String userDn, String purpose, List<String> mail, byte[] certificate) {
        writes.add("publishedCertificate:" + purpose);
        if (failEncryptionChildOnce && purpose.equals("encryption")) {
            failEncryptionChildOnce = false;
            throw new org.dirkms.agent.directory.DirectoryAccessException("cannot publish at " + userDn
                    + ": the test cut the directory off");
        }
        real.putPublishedCertificate(userDn, purpose, mail, certificate);
    }

    @Override
    public List<byte[]> publishedCertificates(String userDn) {
        return real.publishedCertificates(userDn);
    }

    @Override
    public List<MailCarryingChild> publishedCertificatesWithMail() {
        return real.publishedCertificatesWithMail();
    }

    @Override
    public boolean removeMailOfPublishedCertificate(MailCarryingChild child) {
        writes.add("removeMailOfPublishedCertificate");
        return real.removeMailOfPublishedCertificate(child);
    }

    @Override
    public boolean putEncryptionCertificateFirst(String userDn, byte[] encryption, byte[] signing) {
        writes.add("putEncryptionCertificateFirst");
        return real.putEncryptionCertificateFirst(userDn, encryption, signing);
    }

    @Override
    public int removePublishedCertificates(String userDn) {
        int removed = real.removePublishedCertificates(userDn);
        for (int i = 0; i < removed; i++) {
            writes.add("removePublishedCertificate");
        }
        return removed;
    }

    @Override
    public void fail(String dn, String reason) {
        writes.add("fail");
        real.fail(dn, reason);
    }

    @Override
    public void failKeepingClaim(String dn, String reason, Claim held, List<byte[]> stillToRevoke) {
        writes.add("fail");
        real.failKeepingClaim(dn, reason, held, stillToRevoke);
    }

    @Override
    public void markRevoked(String dn) {
        writes.add("markRevoked");
        real.markRevoked(dn);
    }

    @Override
    public void removeKeyPackage(String dn) {
        writes.add("removeKeyPackage");
        real.removeKeyPackage(dn);
    }

    @Override
    public Optional<GroupEntry> readGroup(String dn) {
        return real.readGroup(dn);
    }

    @Override
    public List<GroupEntry> groups() {
        return real.groups();
    }

    @Override
    public List<ServerEntry> servers() {
        return real.servers();
    }

    @Override
    public void heartbeat(String serverDn, Instant now) {
        writes.add("heartbeat");
        real.heartbeat(serverDn, now);
    }

    @Override
    public void addArchivedKey(ArchivedKeyEntry entry) {
        writes.add("addArchivedKey");
        if (failArchiveOnce) {
            failArchiveOnce = false;
            throw new org.dirkms.agent.directory.DirectoryAccessException("cannot archive the key at " + entry.dn()
                    + ": the test cut the directory off");
        }
        real.addArchivedKey(entry);
    }

    @Override
    public List<ArchivedKeyEntry> archivedKeys(String ownerDn) {
        return real.archivedKeys(ownerDn);
    }

    @Override
    public List<ArchivedKeyEntry> allArchivedKeys() {
        return real.allArchivedKeys();
    }

    @Override
    public void abandonArchivedKey(String dn) {
        writes.add("abandonArchivedKey");
        real.abandonArchivedKey(dn);
    }

    @Override
    public String archivedKeyDn(String userDn, String attempt) {
        return real.archivedKeyDn(userDn, attempt);
    }

    @Override
    public String requestDn(String userDn, String claim, String purpose) {
        return real.requestDn(userDn, claim, purpose);
    }

    @Override
    public void queueRequest(String dn, String templateName, String subjectDn, byte[] pkcs10) {
        writes.add("queueRequest");
        real.queueRequest(dn, templateName, subjectDn, pkcs10);
    }

    @Override
    public java.util.Optional<QueuedRequest> readRequest(String dn) {
        return real.readRequest(dn);
    }

    @Override
    public boolean expireRequest(QueuedRequest request) {
        writes.add("expireRequest");
        return real.expireRequest(request);
    }

    @Override
    public void deleteRequest(String dn) {
        writes.add("deleteRequest");
        real.deleteRequest(dn);
    }

    @Override
    public void attachArchivedCertificate(String archiveDn, byte[] certificate) {
        writes.add("attachArchivedCertificate");
        real.attachArchivedCertificate(archiveDn, certificate);
    }

    @Override
    public List<byte[]> caCertificates(String caDn) {
        return real.caCertificates(caDn);
    }

    /** The records not marked abandoned: the keys of enrollments that published, or are going on. */
    static List<ArchivedKeyEntry> live(List<ArchivedKeyEntry> records) {
        return records.stream().filter(record -> !record.abandoned()).toList();
    }

    /** The records marked abandoned (the archive is append-only: a dead attempt's record stays, marked). */
    static List<ArchivedKeyEntry> abandoned(List<ArchivedKeyEntry> records) {
        return records.stream().filter(ArchivedKeyEntry::abandoned).toList();
    }
}
