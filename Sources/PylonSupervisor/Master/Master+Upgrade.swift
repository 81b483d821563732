import CPylon
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The upgrade (DESIGN §3 "Upgrade"): validate, `RELOADING=1`, re-exec in place, start
/// generation g+1 on the same listeners, switch when every new worker is ready, drain g.
extension Master {
    /// SIGHUP or a `reload` request. `replyFD` (if any) gets the outcome line.
    func requestUpgrade(replyFD: Int32?) {
        if self.stop != nil {
            if let replyFD { ControlSocket.reply(replyFD, "failed: the master is stopping") }
            return
        }
        if self.upgrade != nil {
            self.logger.warning("upgrade requested while one is running; refused")
            if let replyFD { ControlSocket.reply(replyFD, "busy: an upgrade is already in progress") }
            return
        }
        // Validate with the binary on disk now (it may be a new one) before touching anything.
        let check = ProcessSpawner.run(binary: self.options.binaryPath, arguments: self.options.checkArguments, timeoutSeconds: 20)
        if check.status != 0 {
            let output = check.output.split(whereSeparator: \.isNewline).prefix(5).joined(separator: "; ")
            let reason = "`\(self.options.binaryPath) \(self.options.checkArguments.joined(separator: " "))` failed (status \(check.status)): \(output)"
            self.reportFailure(reason, replyFD: replyFD)
            return
        }
        self.notifier.notify([
            "RELOADING=1", "MONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())",
            "STATUS=upgrading: re-executing \(self.options.binaryPath)",
        ])
        let error = self.reexec(replyFD: replyFD)
        // Only reached when execve failed: nothing changed, generation g still serves.
        self.reportFailure("re-exec failed: \(error)", replyFD: replyFD, afterReloading: true)
    }

    /// Replaces this process image with `binaryPath` (same PID), handing over the state.
    /// Returns only on failure.
    private func reexec(replyFD: Int32?) -> any Error {
        let state = ReexecState(
            binaryPath: self.options.binaryPath, table: self.table, listeners: self.listeners,
            sharedMemory: self.sharedMemory, controlSocketFD: self.controlFD, controlSocketPath: self.options.controlSocketPath,
            replyFD: replyFD, lastReload: self.lastReload, upgradeCount: self.upgradeCount + 1
        )
        let stateFD: Int32
        do {
            stateFD = try state.write()
        } catch {
            return error
        }
        let inherited = state.descriptors + [stateFD]
        for fd in inherited { try? Descriptors.setCloseOnExec(fd, false) }
        // Signals arriving between execve and the new master's handlers would hit default
        // dispositions (SIGHUP would kill us): keep them blocked across exec; the new
        // master unblocks them once its handlers are in place.
        _ = Self.handledSignals.withUnsafeBufferPointer { pylon_signal_mask($0.baseAddress, CInt($0.count), 1) }
        self.logger.info("re-executing", metadata: ["binary": "\(self.options.binaryPath)"])
        let environment = currentEnvironment().filter { !$0.hasPrefix(ReexecState.environmentKey + "=") }
            + ["\(ReexecState.environmentKey)=\(stateFD)"]
        let arguments = [self.options.binaryPath] + self.options.masterArguments
        withCStringArray(arguments) { argv in
            withCStringArray(environment) { envp in
                _ = execve(self.options.binaryPath, argv, envp)
            }
        }
        let error = SystemError("execve \(self.options.binaryPath)")
        _ = Self.handledSignals.withUnsafeBufferPointer { pylon_signal_mask($0.baseAddress, CInt($0.count), 0) }
        for fd in inherited { try? Descriptors.setCloseOnExec(fd, true) }
        close(stateFD)
        return error
    }

    /// Every new worker is ready: switch, drain the previous generation.
    func commitUpgrade() {
        guard let upgrade = self.upgrade, let number = upgrade.generation else { return }
        let previous = self.table.generations.filter { $0.state == .serving }.map(\.number)
        self.table.update(number) { $0.state = .serving }
        for old in previous { self.drainGeneration(old, as: .draining) }
        // Bound how many generations drain at once: kill the oldest past the cap.
        var draining = self.table.draining
        while draining.count > self.options.maxDrainingGenerations {
            let oldest = draining.removeFirst()
            self.logger.warning("too many generations draining; killing the oldest", metadata: ["generation": "\(oldest.number)"])
            for worker in self.table.workers(in: oldest.number) { kill(worker.pid, SIGKILL) }
            self.table.update(oldest.number) { $0.drainDeadline = nil }
        }
        self.upgrade = nil
        if upgrade.initial {
            self.logger.info("generation ready; serving", metadata: ["generation": "\(number)"])
            self.lastStatus = self.statusLine()
            self.notifier.notify(["READY=1", "STATUS=\(self.lastStatus)", "MAINPID=\(getpid())"])
        } else {
            self.upgradeCount += 1
            self.lastReload = "ok (generation \(number))"
            self.logger.info("upgrade complete", metadata: ["generation": "\(number)", "draining": "\(previous)"])
            self.lastStatus = self.statusLine()
            self.notifier.notify(["READY=1", "STATUS=\(self.lastStatus)", "MAINPID=\(getpid())"])
            if let fd = upgrade.replyFD { ControlSocket.reply(fd, "ok generation \(number)") }
        }
    }

    /// The new generation will not serve: drain whatever of it started, keep the serving
    /// generation untouched, report why.
    func failUpgrade(_ reason: String) {
        guard let upgrade = self.upgrade else { return }
        self.upgrade = nil
        if let number = upgrade.generation {
            self.drainGeneration(number, as: .failed)
        }
        if upgrade.initial {
            self.logger.critical("generation 1 never became ready", metadata: ["reason": "\(reason)"])
            self.notifier.notify(["STATUS=failed to start: \(reason)"])
            self.beginStop(graceful: false, exitCode: 1)
            return
        }
        self.reportFailure(reason, replyFD: upgrade.replyFD, afterReloading: true)
    }

    private func reportFailure(_ reason: String, replyFD: Int32?, afterReloading: Bool = false) {
        self.lastReload = "failed: \(reason)"
        self.logger.error("upgrade failed; the serving generation is untouched", metadata: ["reason": "\(reason)"])
        self.lastStatus = self.statusLine()
        // After RELOADING=1 systemd waits for READY=1 again, whatever the outcome.
        self.notifier.notify((afterReloading ? ["READY=1"] : []) + ["STATUS=\(self.lastStatus)"])
        if let replyFD { ControlSocket.reply(replyFD, "failed: \(reason)") }
    }
}
