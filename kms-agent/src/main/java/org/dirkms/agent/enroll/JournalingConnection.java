package org.dirkms.agent.enroll;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.AddRequest;
import org.apache.directory.api.ldap.model.message.AddResponse;
import org.apache.directory.api.ldap.model.message.DeleteRequest;
import org.apache.directory.api.ldap.model.message.DeleteResponse;
import org.apache.directory.api.ldap.model.message.ModifyDnRequest;
import org.apache.directory.api.ldap.model.message.ModifyDnResponse;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyResponse;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.ResultResponse;
import org.apache.directory.ldap.client.api.LdapConnectionConfig;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.AttributeNames;

/**
 * A connection that reports every write the directory accepted to a {@link WriteJournal}. The
 * Apache LDAP API's convenience methods ({@code add(Entry)}, {@code modify(Dn, Modification...)},
 * {@code delete(Dn)}, {@code rename}, {@code move}) all send through the four request methods
 * overridden here, so no write of the agent passes unrecorded. The journal is told after the
 * response, and only of a success: a refused write changed nothing.
 *
 * <p>Beside the names of the attributes written, the journal gets the new value of the workflow
 * states ({@link #STATES}, e.g. {@code kmsEnrollmentState=enrolled}): no secret, and what tells
 * the KMS's actions apart (claimed, published, failed, revoked, recovered, issued).
 */
final class JournalingConnection extends LdapNetworkConnection {

    /** The workflow states whose new values are recorded beside their names (lower case). */
    static final Set<String> STATES = Set.of(AttributeNames.ENROLLMENT_STATE.toLowerCase(Locale.ROOT),
            AttributeNames.RECOVERY_STATE.toLowerCase(Locale.ROOT), AttributeNames.REQUEST_STATE.toLowerCase(Locale.ROOT),
            AttributeNames.ARCHIVE_STATE.toLowerCase(Locale.ROOT), AttributeNames.CA_STATE.toLowerCase(Locale.ROOT));

    private final WriteJournal journal;
    private final String actor;

    JournalingConnection(LdapConnectionConfig config, WriteJournal journal, String actor) {
        super(config);
        this.journal = journal;
        this.actor = actor;
    }

    @Override
    public AddResponse add(AddRequest request) throws LdapException {
        AddResponse response = super.add(request);
        if (succeeded(response)) {
            Set<String> names = new LinkedHashSet<>();
            for (Attribute attribute : request.getEntry()) {
                names.add(attribute.getUpId());
            }
            for (Attribute attribute : request.getEntry()) {
                addStates(names, attribute);
            }
            journal.written(actor, "add", request.getEntryDn().getName(), List.copyOf(names));
        }
        return response;
    }

    @Override
    public ModifyResponse modify(ModifyRequest request) throws LdapException {
        ModifyResponse response = super.modify(request);
        if (succeeded(response)) {
            Set<String> names = new LinkedHashSet<>();
            for (Modification modification : request.getModifications()) {
                names.add(modification.getAttribute().getUpId());
            }
            for (Modification modification : request.getModifications()) {
                if (modification.getOperation() != ModificationOperation.REMOVE_ATTRIBUTE) {
                    addStates(names, modification.getAttribute());
                }
            }
            journal.written(actor, "modify", request.getName().getName(), List.copyOf(names));
        }
        return response;
    }

    @Override
    public DeleteResponse delete(DeleteRequest request) throws LdapException {
        DeleteResponse response = super.delete(request);
        if (succeeded(response)) {
            journal.written(actor, "delete", request.getName().getName(), List.of());
        }
        return response;
    }

    @Override
    public ModifyDnResponse modifyDn(ModifyDnRequest request) throws LdapException {
        ModifyDnResponse response = super.modifyDn(request);
        if (succeeded(response)) {
            List<String> newDn = new ArrayList<>();
            String parent = request.getNewSuperior() != null ? request.getNewSuperior().getName()
                    : request.getName().getParent().getName();
            newDn.add(request.getNewRdn().getName() + (parent.isEmpty() ? "" : "," + parent));
            journal.written(actor, "rename", request.getName().getName(), newDn);
        }
        return response;
    }

    /** Adds {@code name=value} for each value of a workflow state. */
    private static void addStates(Set<String> names, Attribute attribute) {
        if (STATES.contains(attribute.getUpId().toLowerCase(Locale.ROOT))) {
            for (Value value : attribute) {
                names.add(attribute.getUpId() + "=" + value.getString());
            }
        }
    }

    private static boolean succeeded(ResultResponse response) {
        return response != null && response.getLdapResult().getResultCode() == ResultCodeEnum.SUCCESS;
    }
}
