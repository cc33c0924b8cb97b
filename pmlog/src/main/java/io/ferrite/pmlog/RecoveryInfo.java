package io.ferrite.pmlog;

/**
 * What tail recovery found when a log was opened ({@link PmLog#recoveryInfo()}).
 *
 * @param headLsn      the oldest retained LSN (where the scan started)
 * @param tailLsn      the LSN after the last valid record: appends continue here
 * @param records      user records recovered (padding records not counted)
 * @param payloadBytes payload bytes of those records
 * @param bytesIgnored bytes of the record that ended the scan, when its LSN matched but its length,
 *                     checksum or epoch did not (a torn or stale record); 0 at a clean end
 * @param epoch        the epoch of this run (the header's epoch after the open incremented it)
 * @param stopReason   why the scan stopped, in words
 */
public record RecoveryInfo(long headLsn, long tailLsn, long records, long payloadBytes, long bytesIgnored,
                           long epoch, String stopReason) {

    /** True when the scan ended on a torn or stale record rather than a clean end of the log. */
    public boolean droppedTail() {
        return bytesIgnored > 0;
    }

    @Override
    public String toString() {
        return String.format("head=%d tail=%d records=%d payloadBytes=%d bytesIgnored=%d epoch=%d (%s)",
                headLsn, tailLsn, records, payloadBytes, bytesIgnored, epoch, stopReason);
    }
}
