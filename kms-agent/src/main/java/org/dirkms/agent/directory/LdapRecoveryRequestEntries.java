package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.DESCRIPTION;
import static org.dirkms.schema.AttributeNames.KEY_PACKAGE_EXPIRES;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.RECOVERY_APPROVAL;
import static org.dirkms.schema.AttributeNames.RECOVERY_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.RECOVERY_PACKAGE;
import static org.dirkms.schema.AttributeNames.RECOVERY_REQUESTER;
import static org.dirkms.schema.AttributeNames.RECOVERY_STATE;
import static org.dirkms.schema.AttributeNames.RECOVERY_TARGET;
import static org.dirkms.schema.AttributeNames.RECOVERY_TOKEN;
import static org.dirkms.schema.AttributeNames.REQUIRED_APPROVALS;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.dirkms.agent.directory.RecoveryRecords.Delivery;
import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RecoveryState;

/**
 * Recovery requests ({@code kmsRecoveryRequest}) under {@code ou=Recovery Requests}: reading
 * them, and the test-and-set modifies that move them (docs/state-machines.md, "Recovery"). A
 * write that carries the package or the token keeps only the result code of a failure, never the
 * server's diagnostic ({@link LdapEntries#secretWriteFailure}).
 */
final class LdapRecoveryRequestEntries {
    /** {@code createTimestamp} (RFC 4512 section 3.4): when the directory added the request. */
    static final String CREATE_TIMESTAMP = "createTimestamp";
    private static final String[] ATTRIBUTES = {OBJECT_CLASS, CN, RECOVERY_TARGET, RECOVERY_REQUESTER,
        RECOVERY_APPROVAL, REQUIRED_APPROVALS, RECOVERY_STATE, RECOVERY_CERTIFICATE, KEY_PACKAGE_EXPIRES,
        RECOVERY_PACKAGE, RECOVERY_TOKEN, LAST_ERROR, DESCRIPTION, CREATE_TIMESTAMP, AttributeNames.REQUEST_KEY,
        AttributeNames.RECOVERY_SHARE, ClaimChanges.ATTRIBUTES[0],
        ClaimChanges.ATTRIBUTES[1], ClaimChanges.ATTRIBUTES[2], ClaimChanges.ATTRIBUTES[3]};

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapRecoveryRequestEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    Optional<RequestEntry> read(String dn) {
        return entries.read(dn, ATTRIBUTES).filter(LdapRecoveryRequestEntries::isRequest)
                .map(LdapRecoveryRequestEntries::request);
    }

    List<RequestEntry> search(String filter) {
        List<RequestEntry> requests = new ArrayList<>();
        for (Entry entry : entries.search(layout.recoveryRequests(), "(&(" + OBJECT_CLASS + "="
                + ObjectClassNames.RECOVERY_REQUEST + ")" + filter + ")", SearchScope.ONELEVEL, ATTRIBUTES)) {
            requests.add(request(entry));
        }
        return requests;
    }

    boolean claim(String dn, Claim claim) {
        List<Modification> changes = ClaimChanges.acquireUnclaimed(RECOVERY_STATE, RecoveryState.PENDING.ldapValue(),
                claim);
        try {
            entries.modifyOrThrow(dn, changes.toArray(Modification[]::new));
            return true;
        } catch (LdapNoSuchAttributeException | LdapAttributeInUseException | LdapNoSuchObjectException e) {
            return false; // no longer pending, or gone
        } catch (LdapInvalidAttributeValueException e) {
            // A second value for the single-valued kmsClaimedBy: another attempt holds the request.
            if (e.getResultCode() == ResultCodeEnum.CONSTRAINT_VIOLATION) {
                return false;
            }
            throw LdapEntries.failure("claim the recovery request", dn, e);
        } catch (LdapException e) {
            throw LdapEntries.failure("claim the recovery request", dn, e);
        }
    }

    boolean claimWithRequestKey(String dn, Claim expired, Claim claim, byte[] requestKey, List<byte[]> voidShares,
            List<String> voidApprovals, String note) {
        List<Modification> changes = new ArrayList<>(expired == null
                ? ClaimChanges.acquireUnclaimed(RECOVERY_STATE, RecoveryState.PENDING.ldapValue(), claim)
                : ClaimChanges.takeOver(expired, claim));
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                new DefaultAttribute(AttributeNames.REQUEST_KEY, requestKey)));
        if (!voidShares.isEmpty()) {
            changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE,
                    new DefaultAttribute(AttributeNames.RECOVERY_SHARE, voidShares.toArray(byte[][]::new))));
        }
        for (String approval : voidApprovals) {
            changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, RECOVERY_APPROVAL, approval));
        }
        if (note != null) {
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, note));
        }
        try {
            entries.modifyOrThrow(dn, changes.toArray(Modification[]::new));
            return true;
        } catch (LdapNoSuchAttributeException | LdapAttributeInUseException | LdapNoSuchObjectException e) {
            return false; // no longer pending, another claim, a share withdrawn meanwhile, or gone
        } catch (LdapInvalidAttributeValueException e) {
            if (e.getResultCode() == ResultCodeEnum.CONSTRAINT_VIOLATION) {
                return false;
            }
            throw LdapEntries.failure("claim the recovery request", dn, e);
        } catch (LdapException e) {
            throw LdapEntries.failure("claim the recovery request", dn, e);
        }
    }

    boolean renew(String dn, Claim held, java.time.Instant until) {
        return testAndSet(dn, "renew the claim on the recovery request", ClaimChanges.renew(held, until));
    }

    boolean note(String dn, Claim held, String note) {
        List<Modification> changes = new ArrayList<>(ClaimChanges.holding(held));
        changes.add(note == null ? new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR)
                : new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, note));
        return testAndSet(dn, "note on the recovery request", changes);
    }

    boolean takeOver(String dn, Claim expired, Claim successor) {
        return testAndSet(dn, "take over the recovery request", ClaimChanges.takeOver(expired, successor));
    }

    boolean release(String dn, Claim held) {
        return testAndSet(dn, "release the recovery request", ClaimChanges.release(held));
    }

    boolean deliver(String dn, Claim held, List<String> approvals, Delivery delivery) {
        byte[] token = LdapEntries.utf8(delivery.token());
        try {
            List<Modification> changes = new ArrayList<>(ClaimChanges.release(held));
            changes.addAll(move(RecoveryState.PENDING, RecoveryState.APPROVED));
            // The approvals this recovery counted on are still given: each is deleted and added
            // back, so a withdrawal since they were counted fails the whole modify.
            for (String approval : approvals) {
                changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, RECOVERY_APPROVAL, approval));
                changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, RECOVERY_APPROVAL, approval));
            }
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                    new DefaultAttribute(RECOVERY_PACKAGE, delivery.recoveryPackage().toArray(byte[][]::new))));
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_TOKEN, token));
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE_EXPIRES,
                    LdapTimes.format(delivery.expires())));
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR));
            // Under custody (docs/custody.md) the request key's private half is destroyed once
            // delivered: its certificate and the shares sealed to it go with the delivery.
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, AttributeNames.REQUEST_KEY));
            changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, AttributeNames.RECOVERY_SHARE));
            try {
                entries.modifyOrThrow(dn, changes.toArray(Modification[]::new));
                return true;
            } catch (LdapNoSuchAttributeException | LdapNoSuchObjectException e) {
                return false;
            } catch (LdapException e) {
                throw LdapEntries.secretWriteFailure("deliver the recovery request", dn, e);
            }
        } finally {
            Arrays.fill(token, (byte) 0);
        }
    }

    boolean fail(String dn, Claim held, String reason) {
        List<Modification> changes = new ArrayList<>(ClaimChanges.release(held));
        changes.addAll(move(RecoveryState.PENDING, RecoveryState.FAILED));
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason));
        return testAndSet(dn, "fail the recovery request", changes);
    }

    boolean expire(String dn, RecoveryState from, String reason) {
        List<Modification> changes = new ArrayList<>(move(from, RecoveryState.EXPIRED));
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason));
        changes.addAll(withoutPackage());
        changes.addAll(ClaimChanges.clear());
        return testAndSet(dn, "expire the recovery request", changes);
    }

    boolean confirmDelivery(String dn) {
        List<Modification> changes = new ArrayList<>(move(RecoveryState.APPROVED, RecoveryState.DELIVERED));
        changes.addAll(withoutPackage());
        return testAndSet(dn, "record the delivery of the recovery request", changes);
    }

    Optional<Delivery> readDelivery(String dn) {
        return entries.read(dn, RECOVERY_PACKAGE, RECOVERY_TOKEN, KEY_PACKAGE_EXPIRES).flatMap(entry -> {
            List<byte[]> recovered = LdapEntries.bytes(entry, RECOVERY_PACKAGE);
            List<byte[]> token = LdapEntries.bytes(entry, RECOVERY_TOKEN);
            if (recovered.isEmpty() || token.isEmpty()) {
                return Optional.empty();
            }
            CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(token.get(0)));
            char[] text = new char[chars.remaining()];
            chars.get(text);
            Arrays.fill(token.get(0), (byte) 0);
            if (chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
            String expires = LdapEntries.first(entry, KEY_PACKAGE_EXPIRES);
            return Optional.of(new Delivery(recovered, text, LdapTimes.parse(expires, dn, KEY_PACKAGE_EXPIRES)));
        });
    }

    void removePackage(String dn) {
        try {
            entries.modifyOrThrow(dn, new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, RECOVERY_PACKAGE));
        } catch (LdapNoSuchAttributeException e) {
            return; // deleted already: a retry after the first delete reached the server
        } catch (LdapException e) {
            throw LdapEntries.failure("delete the package of", dn, e);
        }
    }

    /** The test that the state is {@code from}, and the move to {@code to}. */
    private static List<Modification> move(RecoveryState from, RecoveryState to) {
        return List.of(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, RECOVERY_STATE, from.ldapValue()),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, RECOVERY_STATE, to.ldapValue()));
    }

    private static List<Modification> withoutPackage() {
        return List.of(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_PACKAGE),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_TOKEN),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE_EXPIRES));
    }

    private boolean testAndSet(String dn, String what, List<Modification> changes) {
        try {
            entries.modifyOrThrow(dn, changes.toArray(Modification[]::new));
            return true;
        } catch (LdapNoSuchAttributeException | LdapNoSuchObjectException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure(what, dn, e);
        }
    }

    private static boolean isRequest(Entry entry) {
        return LdapEntries.strings(entry, OBJECT_CLASS).stream()
                .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.RECOVERY_REQUEST));
    }

    private static RequestEntry request(Entry entry) {
        String dn = entry.getDn().getName();
        String rawState = LdapEntries.first(entry, RECOVERY_STATE);
        RecoveryState state = null;
        if (rawState != null) {
            try {
                state = LdapEnumeration.parse(RecoveryState.class, RECOVERY_STATE, rawState);
            } catch (IllegalArgumentException e) {
                state = null; // rawState keeps the value for messages
            }
        }
        List<byte[]> certificate = LdapEntries.bytes(entry, RECOVERY_CERTIFICATE);
        List<byte[]> requestKey = LdapEntries.bytes(entry, AttributeNames.REQUEST_KEY);
        List<byte[]> recovered = LdapEntries.bytes(entry, RECOVERY_PACKAGE);
        List<byte[]> token = LdapEntries.bytes(entry, RECOVERY_TOKEN);
        // Only whether they are there leaves this method: the bytes are dropped at once.
        recovered.forEach(value -> Arrays.fill(value, (byte) 0));
        token.forEach(value -> Arrays.fill(value, (byte) 0));
        return new RequestEntry(dn, LdapEntries.first(entry, CN), LdapEntries.first(entry, RECOVERY_TARGET), LdapEntries.first(entry, RECOVERY_REQUESTER),
                LdapEntries.strings(entry, RECOVERY_APPROVAL), LdapEntries.first(entry, REQUIRED_APPROVALS), state, rawState,
                certificate.isEmpty() ? null : certificate.get(0), ClaimChanges.read(entry, dn),
                LdapTimes.parse(LdapEntries.first(entry, CREATE_TIMESTAMP), dn, CREATE_TIMESTAMP),
                LdapTimes.parse(LdapEntries.first(entry, KEY_PACKAGE_EXPIRES), dn, KEY_PACKAGE_EXPIRES), !recovered.isEmpty(),
                !token.isEmpty(), LdapEntries.first(entry, LAST_ERROR), LdapEntries.first(entry, DESCRIPTION),
                requestKey.isEmpty() ? null : requestKey.get(0), LdapEntries.bytes(entry, AttributeNames.RECOVERY_SHARE));
    }


}
