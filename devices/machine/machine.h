// SPDX-License-Identifier: MIT
// The Machine: the one place that names devices, wires them and fixes snapshot order
// (STYLE practice 2). It owns RAM, the buses, the CPU, the clock and the devices, and runs the
// loop of DESIGN §1: ask the clock for the next deadline, run the CPU exactly to it, fire due
// timers and inputs, repeat. No globals: several Machines can live in one process.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/bus.h"
#include "devices/debug_exit.h"
#include "devices/fw_cfg.h"
#include "devices/loader/linux.h"
#include "devices/pci.h"
#include "devices/q35.h"
#include "devices/hpet.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"
#include "devices/system_ports.h"
#include "devices/machine/config.h"
#include "devices/uart16550.h"
#include "jit/cpu.h"
#include "replay/clock.h"
#include "devices/loader/multiboot.h"
#include "replay/bytes.h"
#include "replay/input_port.h"

namespace rwd {

struct Outcome {
  enum class Kind {
    kRunning,        // stopped at the requested position limit
    kExit,           // isa-debug-exit
    kPowerOff,       // ACPI S5 or equivalent
    kTripleFault,    // with -no-reboot
    kHaltedForever,  // HLT with nothing that could ever wake the CPU
    kDebug,          // a debugger breakpoint or watchpoint (Cpu::debug_stop() says which)
  };
  Kind kind = Kind::kRunning;
  int status = 0;
  std::string message;
};

// A summary of machine state for divergence checks: one hash per part, so a mismatch can say
// which part differed.
struct StateHash {
  uint64_t total = 0;
  uint64_t cpu = 0;
  uint64_t ram = 0;
  std::vector<std::pair<std::string, uint64_t>> devices;  // includes "clock"
};

class Machine : public CpuHost {
 public:
  // Builds and boots a machine. `serial_out` receives serial output (nullptr: discarded).
  static std::unique_ptr<Machine> create(const MachineConfig& config, InputPort& input,
                                         std::FILE* serial_out, std::string* error);
  ~Machine() override;

  // Runs until the guest ends the run or position() reaches `limit`.
  Outcome run(uint64_t limit = kNever);
  uint64_t position() const { return cpu_->position(); }
  Cpu& cpu() { return *cpu_; }
  const MachineConfig& config() const { return config_; }
  const PortBus& ports() const { return ports_; }
  const MmioBus& mmio() const { return mmio_; }
  // Guest-physical RAM access for loaders, DMA and debuggers; false outside RAM.
  bool write_phys(uint64_t addr, const void* data, size_t len);
  bool read_phys(uint64_t addr, void* data, size_t len) const;

  // --- State: checkpoints, hashes, restore (DESIGN §2.5, §4) ---------------------------------
  // Serialises CPU, clock, devices (in the machine description's order, each section named)
  // and RAM: every non-zero page when `full`, else the pages written since the previous
  // checkpoint. Updates the page-hash cache as a side effect.
  std::vector<uint8_t> checkpoint(bool full);
  // Applies a checkpoint made by checkpoint(): full ones replace all state (absent pages are
  // zero), incremental ones replace the listed pages. Errors name the section.
  bool restore_checkpoint(const std::vector<uint8_t>& data, bool full, std::string* error);
  // Hash of the whole machine state (cheap: RAM page hashes are cached and only pages written
  // since the last call are rehashed).
  StateHash state_hash();
  // "name:size,..." of every snapshot section and the timer count: what a checkpoint of this
  // machine contains.
  std::string layout_fingerprint() const;
  uint64_t ram_pages() const { return ram_size_ / 4096; }
  const uint8_t* ram_page(uint64_t page) const { return ram_ + page * 4096; }
  uint8_t* ram_page_for_test(uint64_t page) { return ram_ + page * 4096; }
  // Guest-physical address of RAM page n (for messages).
  uint64_t ram_page_address(uint64_t page) const;
  // The outcome, if the run has ended.
  const std::optional<Outcome>& outcome() const { return outcome_; }
  // The sections of a checkpoint, for diagnosing a divergence: name → bytes.
  static bool split_checkpoint(const std::vector<uint8_t>& data,
                               std::vector<std::pair<std::string, std::vector<uint8_t>>>* parts,
                               std::string* error);

  // CpuHost.
  uint64_t mmio_read(uint64_t phys, unsigned size) override { return mmio_.read(phys, size); }
  void mmio_write(uint64_t phys, unsigned size, uint64_t value) override {
    mmio_.write(phys, size, value);
  }
  uint32_t port_read(uint16_t port, unsigned size) override { return ports_.read(port, size); }
  void port_write(uint16_t port, unsigned size, uint32_t value) override {
    ports_.write(port, size, value);
  }
  uint64_t tsc_ticks() override { return Clock::ns_from_position(cpu_->position()); }
  uint64_t random_input() override { return input_.random(cpu_->position()); }
  void triple_fault(const std::string& why) override;
  int acknowledge_interrupt() override { return lapic_->acknowledge(); }
  bool read_device_msr(uint32_t index, uint64_t* value) override;
  bool write_device_msr(uint32_t index, uint64_t value) override;

 private:
  Machine(const MachineConfig& config, InputPort& input, std::FILE* serial_out);
  bool build(std::string* error);
  bool boot(std::string* error);
  void end_run(Outcome::Kind kind, int status, std::string message);
  void deliver_serial_input();
  void flush_serial();
  void build_interrupt_system();
  // An ISA interrupt line: to the 8259 pair and to the IOAPIC (IRQ0 arrives on pin 2, as the
  // MADT's interrupt source override says).
  void set_isa_irq(unsigned irq, bool level);
  void map_lapic();
  void reset_machine(const std::string& why);
  void build_chipset();
  // ACPI and SMBIOS tables in guest memory, and the memory map that describes them.
  bool install_firmware_tables(std::string* error);
  void update_page_hashes();
  template <typename D>
  void register_device(std::string name, D& device);
  struct DeviceEntry {
    std::string name;
    size_t state_size;
    std::function<void(ByteWriter&)> save;            // writes the State as one byte string
    std::function<void(const uint8_t*)> restore;      // from exactly state_size bytes
  };

  MachineConfig config_;
  InputPort& input_;
  std::FILE* serial_out_;
  std::string serial_buffer_;
  uint8_t* ram_ = nullptr;
  uint64_t ram_size_ = 0;
  MemoryLayout layout_{};
  PortBus ports_;
  MmioBus mmio_;
  Clock clock_;
  std::unique_ptr<Cpu> cpu_;
  std::unique_ptr<Uart16550> uart_;
  std::vector<std::unique_ptr<DebugExit>> debug_exits_;
  std::unique_ptr<Pic8259Pair> pic_;
  std::unique_ptr<Pit8254> pit_;
  std::unique_ptr<RtcCmos> rtc_;
  std::unique_ptr<I8042> i8042_;
  std::unique_ptr<SystemPorts> system_ports_;
  std::unique_ptr<Lapic> lapic_;
  std::unique_ptr<Ioapic> ioapic_;
  std::unique_ptr<Hpet> hpet_;
  std::unique_ptr<PciBus> pci_;
  std::unique_ptr<Q35Host> mch_;
  std::unique_ptr<Ich9Lpc> lpc_;
  std::unique_ptr<AcpiPm> acpi_pm_;
  std::unique_ptr<ResetControl> reset_control_;
  std::unique_ptr<FwCfg> fw_cfg_;
  uint64_t ecam_mapped_size_ = 0;
  uint16_t pm_mapped_at_ = 0;
  std::vector<E820Entry> e820_;
  uint64_t rsdp_address_ = 0;
  std::vector<uint8_t> initrd_image_;
  uint64_t lapic_mapped_at_ = 0;
  // Device states right after construction: a machine reset restores them (power-on state).
  std::vector<uint8_t> power_on_devices_;
  bool reset_pending_ = false;
  std::vector<uint8_t> kernel_image_;
  std::vector<BootModule> modules_;
  std::optional<Outcome> outcome_;
  uint64_t resets_ = 0;
  std::unique_ptr<DirtyLog> dirty_log_;   // pages written since the last checkpoint/hash
  std::vector<uint64_t> page_hashes_;     // per RAM page
  std::vector<DeviceEntry> devices_;      // snapshot order = registration order
};

}  // namespace rwd
