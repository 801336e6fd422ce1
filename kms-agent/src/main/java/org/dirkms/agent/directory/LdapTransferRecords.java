package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.ADMINISTRATIVE_GROUP;
import static org.dirkms.schema.AttributeNames.ARCHIVE_RECORD;
import static org.dirkms.schema.AttributeNames.CA_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.DESCRIPTION;
import static org.dirkms.schema.AttributeNames.ENROLLMENT_STATE;
import static org.dirkms.schema.AttributeNames.MAIL;
import static org.dirkms.schema.AttributeNames.MEMBER;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.OU;
import static org.dirkms.schema.AttributeNames.SN;
import static org.dirkms.schema.AttributeNames.TRANSPORT_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/** {@link TransferRecords} over LDAP, as the KMS agent. */
public final class LdapTransferRecords implements TransferRecords {
    private static final String USER_CERTIFICATE_BINARY = USER_CERTIFICATE + ";binary";
    private static final String CA_CERTIFICATE_BINARY = CA_CERTIFICATE + ";binary";
    private static final String TRANSPORT_CERTIFICATE_BINARY = TRANSPORT_CERTIFICATE;
    /** The RDN value of the folder of transfer records below {@code ou=KMS}. */
    public static final String TRANSFERS = "Transfers";
    private static final String[] PERSON = {CN, SN, MAIL, ENROLLMENT_STATE, ADMINISTRATIVE_GROUP, OBJECT_CLASS,
        USER_CERTIFICATE_BINARY, ARCHIVE_RECORD};

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    /** Records over {@code connection}, bound as a KMS agent, for the tree of {@code layout}. */
    public LdapTransferRecords(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.layout = layout;
    }

    @Override
    public Optional<byte[]> transportCertificate(String serverDn) {
        return entries.read(serverDn, TRANSPORT_CERTIFICATE_BINARY)
                .flatMap(entry -> LdapEntries.bytes(entry, TRANSPORT_CERTIFICATE).stream().findFirst());
    }

    @Override
    public void publishTransportCertificate(String serverDn, byte[] certificate) {
        entries.modify(serverDn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                new DefaultAttribute(TRANSPORT_CERTIFICATE_BINARY, certificate)));
    }

    @Override
    public List<Person> kmsUsers(String filter) {
        String inner = filter.startsWith("(") ? filter : "(" + filter + ")";
        List<Person> people = new ArrayList<>();
        for (Entry entry : entries.search(layout.suffix(), "(&(" + ENROLLMENT_STATE + "=*)" + inner + ")",
                SearchScope.SUBTREE, PERSON)) {
            people.add(person(entry));
        }
        return people;
    }

    @Override
    public Optional<List<String>> groupMembers(String groupDn) {
        Optional<Entry> group = entries.read(groupDn, OBJECT_CLASS, MEMBER);
        if (group.isEmpty()) {
            return Optional.empty();
        }
        boolean administrative = LdapEntries.strings(group.get(), OBJECT_CLASS).stream()
                .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.ADMIN_GROUP));
        if (!administrative) {
            return Optional.of(LdapEntries.strings(group.get(), MEMBER));
        }
        List<String> members = new ArrayList<>();
        for (Entry entry : entries.search(layout.suffix(), "(" + ADMINISTRATIVE_GROUP + "="
                + LdapArchiveEntries.escapeFilter(group.get().getDn().getName()) + ")", SearchScope.SUBTREE, CN)) {
            members.add(entry.getDn().getName());
        }
        return Optional.of(members);
    }

    @Override
    public Optional<Person> person(String dn) {
        return entries.read(dn, PERSON).map(LdapTransferRecords::person);
    }

    @Override
    public List<Person> peopleWithMail(String address) {
        List<Person> people = new ArrayList<>();
        for (Entry entry : entries.search(layout.suffix(), "(&(" + OBJECT_CLASS + "=" + ObjectClassNames.INET_ORG_PERSON
                + ")(" + MAIL + "=" + LdapArchiveEntries.escapeFilter(address) + "))", SearchScope.SUBTREE, PERSON)) {
            people.add(person(entry));
        }
        return people;
    }

    @Override
    public boolean addPerson(String dn, String commonName, String surname, List<String> mail) {
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.INET_ORG_PERSON);
            entry.add(CN, commonName);
            entry.add(SN, surname);
            for (String address : mail) {
                entry.add(MAIL, address);
            }
            entries.add(entry);
            return true;
        } catch (LdapEntryAlreadyExistsException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("add the person", dn, e);
        }
    }

    @Override
    public boolean exists(String dn) {
        return entries.read(dn, "1.1").isPresent();
    }

    @Override
    public void writeImportedState(String dn, boolean addKmsUserClass, String enrollmentState, String groupDn,
            List<byte[]> certificates, List<String> archiveRecords) {
        List<Modification> modifications = new ArrayList<>();
        if (addKmsUserClass) {
            modifications.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, OBJECT_CLASS,
                    ObjectClassNames.KMS_USER));
        }
        modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_STATE,
                enrollmentState));
        if (groupDn != null) {
            modifications.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ADMINISTRATIVE_GROUP,
                    groupDn));
        }
        modifications.add(certificates.isEmpty()
                ? new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_CERTIFICATE_BINARY)
                : new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                        new DefaultAttribute(USER_CERTIFICATE_BINARY, certificates.toArray(byte[][]::new))));
        if (!archiveRecords.isEmpty()) {
            modifications.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, ARCHIVE_RECORD,
                    archiveRecords.toArray(String[]::new)));
        }
        entries.modify(dn, modifications.toArray(Modification[]::new));
    }

    @Override
    public String foreignCaDn(String name) {
        return CN + "=" + Rdn.escapeValue(name) + "," + layout.trust();
    }

    @Override
    public boolean publishForeignCa(String name, byte[] caCertificate, List<String> description) {
        String dn = foreignCaDn(name);
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.APPLICATION_PROCESS, ObjectClassNames.PKI_CA);
            entry.add(CN, name);
            entry.add(new DefaultAttribute(CA_CERTIFICATE_BINARY, caCertificate));
            for (String line : description) {
                entry.add(DESCRIPTION, line);
            }
            entries.add(entry);
            return true;
        } catch (LdapEntryAlreadyExistsException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("publish the CA at", dn, e);
        }
    }

    @Override
    public void recordTransfer(String name, List<String> description) {
        String folder = OU + "=" + TRANSFERS + "," + layout.kms();
        try {
            Entry ou = new DefaultEntry(folder);
            ou.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.ORGANIZATIONAL_UNIT);
            ou.add(OU, TRANSFERS);
            ou.add(DESCRIPTION, "a record of every export and import of users between KMS servers (docs/transfer.md)");
            entries.add(ou);
        } catch (LdapEntryAlreadyExistsException e) {
            // made by an earlier transfer
        } catch (LdapException e) {
            throw LdapEntries.failure("add", folder, e);
        }
        String dn = CN + "=" + Rdn.escapeValue(name) + "," + folder;
        try {
            Entry entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.APPLICATION_PROCESS);
            entry.add(CN, name);
            for (String line : description) {
                entry.add(DESCRIPTION, line);
            }
            entries.add(entry);
        } catch (LdapException e) {
            throw LdapEntries.failure("record the transfer at", dn, e);
        }
    }

    private static Person person(Entry entry) {
        boolean kmsUser = LdapEntries.strings(entry, OBJECT_CLASS).stream()
                .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.KMS_USER));
        return new Person(entry.getDn().getName(), LdapEntries.first(entry, CN), LdapEntries.first(entry, SN),
                LdapEntries.strings(entry, MAIL), LdapEntries.first(entry, ENROLLMENT_STATE),
                LdapEntries.first(entry, ADMINISTRATIVE_GROUP), kmsUser, LdapEntries.bytes(entry, USER_CERTIFICATE),
                LdapEntries.strings(entry, ARCHIVE_RECORD));
    }
}
