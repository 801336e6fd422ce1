package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.CUSTODY_ID;
import static org.dirkms.schema.AttributeNames.CUSTODY_THRESHOLD;
import static org.dirkms.schema.AttributeNames.DESCRIPTION;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.RECOVERY_APPROVAL;
import static org.dirkms.schema.AttributeNames.RECOVERY_SHARE;
import static org.dirkms.schema.AttributeNames.RECOVERY_STATE;
import static org.dirkms.schema.AttributeNames.REQUEST_KEY;
import static org.dirkms.schema.AttributeNames.SEALED_RECOVERY_KEYS;
import static org.dirkms.schema.AttributeNames.SEALED_SHARE;
import static org.dirkms.schema.AttributeNames.SHARE_DIGEST;
import static org.dirkms.schema.AttributeNames.SHARE_HOLDER;
import static org.dirkms.schema.AttributeNames.SHARE_INDEX;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.util.ArrayList;
import java.util.Comparator;
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
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RecoveryState;

/**
 * {@link CustodyRecords} over LDAP, bound as a KMS agent (the custody is written by KMS agents
 * only; {@code kmsSealedRecoveryKeys} is read by them only), on a protected connection the caller
 * opened and closes.
 */
public final class LdapCustodyRecords implements CustodyRecords {
    private static final String[] CUSTODY_ATTRIBUTES = {OBJECT_CLASS, CUSTODY_ID, CUSTODY_THRESHOLD, SEALED_RECOVERY_KEYS};
    private static final String[] SHARE_ATTRIBUTES = {CUSTODY_ID, SHARE_HOLDER, SHARE_INDEX, SHARE_DIGEST, SEALED_SHARE};
    private static final String[] SESSION_ATTRIBUTES = {OBJECT_CLASS, REQUEST_KEY, RECOVERY_APPROVAL, RECOVERY_SHARE,
        DESCRIPTION};

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    /** Records below {@code layout}'s suffix over {@code connection}. */
    public LdapCustodyRecords(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.layout = layout;
    }

    @Override
    public Optional<CustodyEntry> custody() {
        Optional<Entry> found = entries.read(layout.keyRecoveryAgent(), CUSTODY_ATTRIBUTES);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Entry entry = found.get();
        String id = LdapEntries.first(entry, CUSTODY_ID);
        List<byte[]> sealed = LdapEntries.bytes(entry, SEALED_RECOVERY_KEYS);
        String threshold = LdapEntries.first(entry, CUSTODY_THRESHOLD);
        if (id == null || sealed.isEmpty() || threshold == null) {
            return Optional.empty();
        }
        List<ShareEntry> shares = new ArrayList<>();
        for (ShareEntry share : shares()) {
            if (share.custodyId().equals(id)) {
                shares.add(share);
            }
        }
        shares.sort(Comparator.comparingInt(ShareEntry::index));
        return Optional.of(new CustodyEntry(id, Integer.parseInt(threshold.trim()), sealed.get(0), shares));
    }

    private List<ShareEntry> shares() {
        List<ShareEntry> shares = new ArrayList<>();
        for (Entry entry : entries.search(layout.keyRecoveryAgent(), "(" + OBJECT_CLASS + "="
                + ObjectClassNames.CUSTODY_SHARE + ")", SearchScope.ONELEVEL, SHARE_ATTRIBUTES)) {
            List<byte[]> digest = LdapEntries.bytes(entry, SHARE_DIGEST);
            List<byte[]> sealed = LdapEntries.bytes(entry, SEALED_SHARE);
            String index = LdapEntries.first(entry, SHARE_INDEX);
            String id = LdapEntries.first(entry, CUSTODY_ID);
            if (digest.isEmpty() || sealed.isEmpty() || index == null || id == null) {
                continue; // not a whole share: nobody can use it
            }
            shares.add(new ShareEntry(entry.getDn().getName(), id, LdapEntries.first(entry, SHARE_HOLDER),
                    Integer.parseInt(index.trim()), digest.get(0), sealed.get(0)));
        }
        return shares;
    }

    @Override
    public boolean install(CustodyEntry custody, CustodyEntry replaced) {
        String replacedId = replaced == null ? null : replaced.id();
        List<String> added = new ArrayList<>();
        try {
            for (ShareEntry share : custody.shares()) {
                String dn = "cn=" + Rdn.escapeValue(custody.id() + " " + share.index()) + "," + layout.keyRecoveryAgent();
                Entry entry = new DefaultEntry(dn);
                entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.CUSTODY_SHARE);
                entry.add(CN, custody.id() + " " + share.index());
                entry.add(CUSTODY_ID, custody.id());
                entry.add(SHARE_HOLDER, share.holder());
                entry.add(SHARE_INDEX, Integer.toString(share.index()));
                entry.add(new DefaultAttribute(SHARE_DIGEST, share.digest()));
                entry.add(new DefaultAttribute(SEALED_SHARE, share.sealedShare()));
                try {
                    entries.add(entry);
                } catch (LdapEntryAlreadyExistsException e) {
                    throw LdapEntries.failure("add the custody share", dn, e);
                }
                added.add(dn);
            }
            List<Modification> changes = new ArrayList<>();
            Optional<Entry> agent = entries.read(layout.keyRecoveryAgent(), OBJECT_CLASS, CUSTODY_ID);
            if (agent.isEmpty()) {
                throw new DirectoryAccessException("there is no key recovery agent entry " + layout.keyRecoveryAgent()
                        + ": the recovery certificate was never published");
            }
            boolean hasClass = LdapEntries.strings(agent.get(), OBJECT_CLASS).stream()
                    .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.RECOVERY_CUSTODY));
            if (!hasClass) {
                changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, OBJECT_CLASS,
                        ObjectClassNames.RECOVERY_CUSTODY));
            }
            if (replacedId == null) {
                // The add fails on a custody made meanwhile (single-valued).
                changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CUSTODY_ID, custody.id()));
            } else {
                changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CUSTODY_ID, replacedId));
                changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CUSTODY_ID, custody.id()));
            }
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CUSTODY_THRESHOLD,
                    Integer.toString(custody.threshold())));
            if (replaced == null) {
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                        new DefaultAttribute(SEALED_RECOVERY_KEYS, custody.sealedKeys())));
            } else {
                // Test-and-set: the delete of exactly the sealed keys the new custody was made from fails
                // (noSuchAttribute) when a rekey or retire re-sealed them meanwhile.
                changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE,
                        new DefaultAttribute(SEALED_RECOVERY_KEYS, replaced.sealedKeys())));
                changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE,
                        new DefaultAttribute(SEALED_RECOVERY_KEYS, custody.sealedKeys())));
            }
            try {
                entries.modifyOrThrow(layout.keyRecoveryAgent(), changes.toArray(Modification[]::new));
            } catch (LdapNoSuchAttributeException | LdapAttributeInUseException e) {
                added.forEach(entries::delete);
                return false;
            } catch (org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException e) {
                added.forEach(entries::delete);
                return false; // a second kmsCustodyId: another custody was made meanwhile
            } catch (LdapException e) {
                throw LdapEntries.secretWriteFailure("install the custody on", layout.keyRecoveryAgent(), e);
            }
        } catch (LdapException e) {
            throw LdapEntries.failure("add a custody share under", layout.keyRecoveryAgent(), e);
        }
        for (ShareEntry share : shares()) {
            if (!share.custodyId().equals(custody.id())) {
                entries.delete(share.dn());
            }
        }
        return true;
    }

    @Override
    public boolean reseal(String custodyId, byte[] before, byte[] after) {
        try {
            entries.modifyOrThrow(layout.keyRecoveryAgent(),
                    new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CUSTODY_ID, custodyId),
                    new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CUSTODY_ID, custodyId),
                    new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE,
                            new DefaultAttribute(SEALED_RECOVERY_KEYS, before)),
                    new DefaultModification(ModificationOperation.ADD_ATTRIBUTE,
                            new DefaultAttribute(SEALED_RECOVERY_KEYS, after)));
            return true;
        } catch (LdapNoSuchAttributeException | LdapNoSuchObjectException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.secretWriteFailure("re-seal the recovery keys on", layout.keyRecoveryAgent(), e);
        }
    }

    @Override
    public List<String> recoveryAgents() {
        return entries.read(layout.recoveryAgentsGroup(), org.dirkms.schema.AttributeNames.MEMBER)
                .map(entry -> LdapEntries.strings(entry, org.dirkms.schema.AttributeNames.MEMBER))
                .orElse(List.of());
    }

    @Override
    public List<byte[]> certificatesOf(String personDn) {
        List<byte[]> certificates = new ArrayList<>();
        entries.read("cn=encryption," + personDn, USER_CERTIFICATE + ";binary")
                .ifPresent(entry -> certificates.addAll(LdapEntries.bytes(entry, USER_CERTIFICATE)));
        entries.read(personDn, USER_CERTIFICATE + ";binary")
                .ifPresent(entry -> certificates.addAll(LdapEntries.bytes(entry, USER_CERTIFICATE)));
        return certificates;
    }

    @Override
    public String openSession(String name, byte[] requestKey, int threshold, String description) {
        String dn = "cn=" + Rdn.escapeValue(name) + "," + layout.recoveryRequests();
        Entry entry;
        try {
            entry = new DefaultEntry(dn);
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.CUSTODY_SESSION);
            entry.add(CN, name);
            entry.add(new DefaultAttribute(REQUEST_KEY, requestKey));
            entry.add(RECOVERY_STATE, RecoveryState.PENDING.ldapValue());
            entry.add(CUSTODY_THRESHOLD, Integer.toString(threshold));
            entry.add(DESCRIPTION, description);
            entries.add(entry);
            return dn;
        } catch (LdapException e) {
            throw LdapEntries.failure("add the custody session", dn, e);
        }
    }

    @Override
    public Optional<SessionEntry> readSession(String dn) {
        return entries.read(dn, SESSION_ATTRIBUTES).filter(entry -> LdapEntries.strings(entry, OBJECT_CLASS).stream()
                .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.CUSTODY_SESSION)))
                .map(entry -> {
                    List<byte[]> key = LdapEntries.bytes(entry, REQUEST_KEY);
                    return new SessionEntry(entry.getDn().getName(), key.isEmpty() ? null : key.get(0),
                            LdapEntries.strings(entry, RECOVERY_APPROVAL), LdapEntries.bytes(entry, RECOVERY_SHARE),
                            LdapEntries.first(entry, DESCRIPTION));
                });
    }

    @Override
    public List<SessionEntry> sessions() {
        List<SessionEntry> sessions = new ArrayList<>();
        for (Entry entry : entries.search(layout.recoveryRequests(), "(" + OBJECT_CLASS + "="
                + ObjectClassNames.CUSTODY_SESSION + ")", SearchScope.ONELEVEL, SESSION_ATTRIBUTES)) {
            List<byte[]> key = LdapEntries.bytes(entry, REQUEST_KEY);
            sessions.add(new SessionEntry(entry.getDn().getName(), key.isEmpty() ? null : key.get(0),
                    LdapEntries.strings(entry, RECOVERY_APPROVAL), LdapEntries.bytes(entry, RECOVERY_SHARE),
                    LdapEntries.first(entry, DESCRIPTION)));
        }
        return sessions;
    }

    @Override
    public Optional<ApprovalTarget> readApprovalTarget(String dn) {
        return entries.read(dn, OBJECT_CLASS, RECOVERY_STATE, org.dirkms.schema.AttributeNames.RECOVERY_REQUESTER,
                org.dirkms.schema.AttributeNames.RECOVERY_TARGET, DESCRIPTION, REQUEST_KEY, RECOVERY_APPROVAL,
                RECOVERY_SHARE, LAST_ERROR).flatMap(entry -> {
                    List<String> classes = LdapEntries.strings(entry, OBJECT_CLASS);
                    boolean session = classes.stream().anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.CUSTODY_SESSION));
                    boolean request = classes.stream().anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.RECOVERY_REQUEST));
                    if (!session && !request) {
                        return Optional.empty();
                    }
                    List<byte[]> key = LdapEntries.bytes(entry, REQUEST_KEY);
                    return Optional.of(new ApprovalTarget(entry.getDn().getName(), session,
                            LdapEntries.first(entry, RECOVERY_STATE),
                            LdapEntries.first(entry, org.dirkms.schema.AttributeNames.RECOVERY_REQUESTER),
                            LdapEntries.first(entry, org.dirkms.schema.AttributeNames.RECOVERY_TARGET),
                            LdapEntries.first(entry, DESCRIPTION), key.isEmpty() ? null : key.get(0),
                            LdapEntries.strings(entry, RECOVERY_APPROVAL), LdapEntries.bytes(entry, RECOVERY_SHARE).size(),
                            LdapEntries.first(entry, LAST_ERROR)));
                });
    }

    @Override
    public void approve(String dn, String approver, byte[] sealedShare) {
        List<Modification> changes = new ArrayList<>();
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, RECOVERY_APPROVAL, approver));
        if (sealedShare != null) {
            changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE,
                    new DefaultAttribute(RECOVERY_SHARE, sealedShare)));
        }
        try {
            entries.modifyOrThrow(dn, changes.toArray(Modification[]::new));
        } catch (LdapException e) {
            throw new DirectoryAccessException("the directory refused the approval of " + dn + ": "
                    + (e instanceof org.apache.directory.api.ldap.model.exception.LdapOperationException operation
                            ? operation.getResultCode().getMessage() + ": " : "") + e.getMessage(), e);
        }
    }

    @Override
    public Optional<ShareEntry> shareOf(String holderDn) {
        Optional<Entry> agent = entries.read(layout.keyRecoveryAgent(), CUSTODY_ID);
        String id = agent.map(entry -> LdapEntries.first(entry, CUSTODY_ID)).orElse(null);
        if (id == null) {
            return Optional.empty();
        }
        for (ShareEntry share : shares()) {
            if (share.custodyId().equals(id) && share.holder() != null
                    && org.dirkms.agent.names.DistinguishedNames.sameIfValid(share.holder(), holderDn)) {
                return Optional.of(share);
            }
        }
        return Optional.empty();
    }

    @Override
    public void noteSession(String dn, String text) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, text));
    }

    @Override
    public void closeSession(String dn) {
        entries.delete(dn);
    }
}
