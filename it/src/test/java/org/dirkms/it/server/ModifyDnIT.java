package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.message.ModifyDnRequestImpl;
import org.apache.directory.api.ldap.model.message.ModifyDnResponse;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A move (modify DN with a new superior, RFC 4511 section 4.9) under an entry that does not
 * exist is noSuchObject. Found by the fuzz suite: ApacheDS AM27 does not look for the new
 * superior and its partition fails on the missing parent with operationsError (1) and a
 * NullPointerException's message.
 */
class ModifyDnIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @Test
    void aMoveUnderAnEntryThatDoesNotExistIsNoSuchObject() throws Exception {
        String people = directory.layout().people();
        try (LdapConnection agent = directory.secureAgentConnection()) {
            agent.add(new DefaultEntry("cn=movable," + people, "objectClass: organizationalRole", "cn: movable"));
            ModifyDnResponse response = agent.modifyDn(new ModifyDnRequestImpl().setName(new Dn("cn=movable," + people))
                    .setNewRdn(new Rdn("cn=moved")).setDeleteOldRdn(true)
                    .setNewSuperior(new Dn("cn=nowhere," + people)));
            assertEquals(ResultCodeEnum.NO_SUCH_OBJECT, response.getLdapResult().getResultCode(),
                    response.getLdapResult().getDiagnosticMessage());
            String diagnostic = response.getLdapResult().getDiagnosticMessage();
            assertTrue(diagnostic.contains("cn=nowhere," + people), diagnostic);
            assertFalse(diagnostic.contains("null"), diagnostic);
            assertTrue(agent.exists("cn=movable," + people), "nothing moved");

            // An existing new superior still works.
            agent.add(new DefaultEntry("cn=parent," + people, "objectClass: organizationalRole", "cn: parent"));
            response = agent.modifyDn(new ModifyDnRequestImpl().setName(new Dn("cn=movable," + people))
                    .setNewRdn(new Rdn("cn=moved")).setDeleteOldRdn(true).setNewSuperior(new Dn("cn=parent," + people)));
            assertEquals(ResultCodeEnum.SUCCESS, response.getLdapResult().getResultCode(),
                    response.getLdapResult().getDiagnosticMessage());
            assertTrue(agent.exists("cn=moved,cn=parent," + people));
        }
    }

    /**
     * A rename of a name in no naming context of the directory ("cn=x,dc=nowhere", the root DSE).
     * Found by the fuzz suite: AM27 takes the directory's write lock, then looks for the
     * partition outside the block that releases the lock; the lookup fails, and the lock stayed
     * taken for ever: every later write, and then every read, waited — a client of any identity,
     * anonymous included, stopped the whole directory with one request. Now noSuchObject at once.
     */
    @Test
    void aRenameOfANameInNoNamingContextIsNoSuchObjectAndTheDirectoryGoesOn() throws Exception {
        try (LdapConnection anonymous = directory.secureConnection(null, null);
                LdapConnection agent = directory.secureAgentConnection()) {
            for (String name : new String[] {"cn=x,dc=nowhere", "cn=y"}) {
                for (LdapConnection connection : new LdapConnection[] {anonymous, agent}) {
                    ModifyDnResponse response = connection.modifyDn(new ModifyDnRequestImpl().setName(new Dn(name))
                            .setNewRdn(new Rdn("cn=renamed")).setDeleteOldRdn(true));
                    assertEquals(ResultCodeEnum.NO_SUCH_OBJECT, response.getLdapResult().getResultCode(), name + ": "
                            + response.getLdapResult().getDiagnosticMessage());
                }
            }
            ModifyDnResponse move = agent.modifyDn(new ModifyDnRequestImpl().setName(new Dn("cn=x,dc=nowhere"))
                    .setNewRdn(new Rdn("cn=x")).setDeleteOldRdn(false).setNewSuperior(new Dn(directory.layout().people())));
            assertEquals(ResultCodeEnum.NO_SUCH_OBJECT, move.getLdapResult().getResultCode());
            // The directory still writes: the lock was released.
            agent.setTimeOut(10_000);
            agent.modify(directory.agentDn(), new org.apache.directory.api.ldap.model.entry.DefaultModification(
                    org.apache.directory.api.ldap.model.entry.ModificationOperation.REPLACE_ATTRIBUTE, "description",
                    "still writable"));
        }
    }
}
