/**
 * Threshold custody of the key recovery agent's keys (docs/custody.md): the recovery keys sealed
 * under a random custody secret ({@link SealedRecoveryKeys}), the secret split M of N among recovery
 * agents ({@link ShamirShares}), each share sealed to its holder's encryption certificate
 * ({@link ShareContent}), given back sealed to a one-use request key ({@link RequestKey}), judged
 * ({@link ShareJudge}) and the keys rebuilt in memory only.
 */
package org.dirkms.agent.custody;
