package org.dirkms.agent.directory;

import java.util.List;
import java.util.Optional;

/**
 * What moving users between KMS servers reads and writes in the directory (docs/transfer.md)
 * beside the enrollment's own records ({@link EnrollmentRecords}): the transport certificate on
 * a KMS server entry, people and their KMS state, a person made for an imported user, the
 * imported KMS state written in one modify, the source CA published under {@code ou=Trust}, and a
 * record of each transfer under {@code ou=Transfers,ou=KMS}, which the directory's audit log
 * records like every KMS write. Certificates cross this interface as DER bytes.
 */
public interface TransferRecords {

    /**
     * A person as a transfer reads it.
     *
     * @param dn the entry's DN
     * @param commonName {@code cn}, or null
     * @param surname {@code sn}, or null
     * @param mail the {@code mail} values
     * @param enrollmentState {@code kmsEnrollmentState} as stored, or null
     * @param groupDn {@code kmsAdministrativeGroup}, or null
     * @param kmsUser whether the entry has the auxiliary class {@code kmsUser}
     * @param certificates the {@code userCertificate} values (DER), in the order stored
     * @param archiveRecords {@code kmsArchiveRecord}, the oldest first
     */
    record Person(String dn, String commonName, String surname, List<String> mail, String enrollmentState,
            String groupDn, boolean kmsUser, List<byte[]> certificates, List<String> archiveRecords) {
        /** Copies the lists. */
        public Person {
            mail = List.copyOf(mail);
            certificates = List.copyOf(certificates);
            archiveRecords = List.copyOf(archiveRecords);
        }
    }

    /** The {@code kmsTransportCertificate} of the KMS server entry {@code serverDn}, if it has one. */
    Optional<byte[]> transportCertificate(String serverDn);

    /** Replaces the {@code kmsTransportCertificate} of the KMS server entry {@code serverDn}. */
    void publishTransportCertificate(String serverDn, byte[] certificate);

    /** Every KMS user (an entry with {@code kmsEnrollmentState}) below the suffix that matches {@code filter} (RFC 4515). */
    List<Person> kmsUsers(String filter);

    /**
     * The DNs of the members of the group at {@code groupDn}: for an administrative group
     * ({@code kmsAdminGroup}) the users that name it in {@code kmsAdministrativeGroup}, for any
     * other group its {@code member} values; empty when there is no entry at {@code groupDn}.
     */
    Optional<List<String>> groupMembers(String groupDn);

    /** The person at {@code dn}, if there is an entry there. */
    Optional<Person> person(String dn);

    /** Every {@code inetOrgPerson} below the suffix whose {@code mail} holds {@code address} (case ignored). */
    List<Person> peopleWithMail(String address);

    /**
     * Adds an {@code inetOrgPerson} at {@code dn} with {@code cn}, {@code sn} and {@code mail}.
     *
     * @return false if an entry is there already, in which case nothing changed
     */
    boolean addPerson(String dn, String commonName, String surname, List<String> mail);

    /** Whether an entry exists at {@code dn}. */
    boolean exists(String dn);

    /**
     * Writes an imported user's KMS state in one modify: {@code objectClass: kmsUser} when the
     * entry lacks it, {@code kmsEnrollmentState}, {@code kmsAdministrativeGroup} (when not null),
     * {@code userCertificate;binary} replaced by {@code certificates} in that order (none: removed),
     * and {@code archiveRecords} added to {@code kmsArchiveRecord}.
     */
    void writeImportedState(String dn, boolean addKmsUserClass, String enrollmentState, String groupDn,
            List<byte[]> certificates, List<String> archiveRecords);

    /**
     * Publishes a CA whose certificates users of this directory hold, though it issues nothing
     * here: {@code cn=<name>,ou=Trust} ({@code applicationProcess} + {@code pkiCA}) with its
     * {@code cACertificate;binary} and {@code description}.
     *
     * @return false if the entry is there already, in which case nothing changed
     */
    boolean publishForeignCa(String name, byte[] caCertificate, List<String> description);

    /** The DN {@link #publishForeignCa} writes for {@code name}. */
    String foreignCaDn(String name);

    /**
     * Records one transfer as {@code cn=<name>,ou=Transfers,ou=KMS} ({@code applicationProcess})
     * with {@code description}, making {@code ou=Transfers} when missing: a KMS write, so the
     * directory's audit log records it.
     */
    void recordTransfer(String name, List<String> description);
}
