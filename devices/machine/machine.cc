// SPDX-License-Identifier: MIT
#include "devices/machine/machine.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/check.h"
#include "base/files.h"
#include "base/log.h"
#include "devices/acpi/smbios.h"
#include "devices/acpi/tables.h"
#include "devices/loader/linux.h"
#include "devices/loader/multiboot.h"
#include "replay/checksum.h"

namespace rwd {
namespace {

// How long the CPU may run between looks at host input when no timer is due sooner.
constexpr uint64_t kInputSlice = 1'000'000;  // 1 ms of virtual time

bool read_file(const MachineConfig& cfg, const std::string& path, std::vector<uint8_t>* out,
               std::string* error) {
  auto packed = cfg.file_contents.find(path);
  if (packed != cfg.file_contents.end()) {
    *out = packed->second;
    return true;
  }
  if (!read_file_bytes(path, out)) {
    *error = "cannot open '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace

Machine::Machine(const MachineConfig& config, InputPort& input, std::FILE* serial_out)
    : config_(config), input_(input), serial_out_(serial_out) {}

Machine::~Machine() {
  flush_serial();
  if (ram_) ::munmap(ram_, ram_size_);
}

std::unique_ptr<Machine> Machine::create(const MachineConfig& config, InputPort& input,
                                         std::FILE* serial_out, std::string* error) {
  std::unique_ptr<Machine> m(new Machine(config, input, serial_out));
  if (!m->build(error) || !m->boot(error)) return nullptr;
  return m;
}

bool Machine::build(std::string* error) {
  // Q35 memory layout (as QEMU's): RAM up to 2 GiB below 4 GiB when it would not fit under
  // the 2.75 GiB PCI hole start, the rest above 4 GiB. The legacy VGA window 0xa0000-0xbffff
  // is not RAM.
  ram_size_ = config_.ram_size;
  uint64_t low = ram_size_ >= 0xb0000000ull ? 0x80000000ull : ram_size_;
  layout_ = MemoryLayout{low, ram_size_ - low};
  void* p = ::mmap(nullptr, ram_size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    *error = "cannot allocate " + std::to_string(ram_size_ >> 20) + " MiB of guest RAM";
    return false;
  }
  ram_ = static_cast<uint8_t*>(p);
  std::vector<RamRegion> regions = {
      {0, 0xa0000, ram_},
      {0xc0000, low - 0xc0000, ram_ + 0xc0000},
  };
  if (layout_.high_ram_size) regions.push_back({1ull << 32, layout_.high_ram_size, ram_ + low});
  cpu_ = std::make_unique<Cpu>(*this, config_.cpu, std::move(regions));
  dirty_log_ = std::make_unique<DirtyLog>(ram_, ram_size_);
  dirty_log_->mark_all();
  cpu_->set_dirty_log(dirty_log_.get());
  page_hashes_.assign(ram_pages(), 0);
  clock_.set_position_source([this] { return cpu_->position(); });

  // Devices, in snapshot order.
  std::function<void(uint8_t)> out;
  if (serial_out_) {
    out = [this](uint8_t byte) {
      serial_buffer_.push_back(char(byte));
      if (byte == '\n' || serial_buffer_.size() >= 4096) flush_serial();
    };
  }
  build_interrupt_system();
  build_chipset();
  uart_ = std::make_unique<Uart16550>(0x3f8, IrqLine([this](bool l) { set_isa_irq(4, l); }),
                                      std::move(out));
  ports_.map(0x3f8, 8, uart_.get(), "com1");
  register_device("uart16550@3f8", *uart_);
  for (const DebugExitConfig& d : config_.debug_exits) {
    debug_exits_.push_back(std::make_unique<DebugExit>([this](int status) {
      end_run(Outcome::Kind::kExit, status,
              "guest wrote to isa-debug-exit: status " + std::to_string(status));
    }));
    ports_.map(d.iobase, d.iosize, debug_exits_.back().get(), "isa-debug-exit");
  }
  // Power-on device state, for resets.
  ByteWriter w;
  for (const DeviceEntry& d : devices_) d.save(w);
  power_on_devices_ = std::move(w.data());
  return true;
}

void Machine::set_isa_irq(unsigned irq, bool level) {
  pic_->set_irq(irq, level);
  ioapic_->set_irq(irq == 0 ? 2 : irq, level);
}

void Machine::build_interrupt_system() {
  // The wiring of a Q35 PC's interrupt system (the snapshot order is the registration order):
  //   ISA devices → 8259 pair → LAPIC LINT0 (ExtINT, virtual wire) → CPU INTR
  //   ISA devices → IOAPIC pins 0-15 (IRQ0 → pin 2) → LAPIC → CPU INTR
  //   HPET timers → IOAPIC pins 20-23, or IRQ0/IRQ8 in legacy replacement mode, which then
  //   disconnects the PIT and the RTC (HPET spec 1.0a §2.4.2).
  pic_ = std::make_unique<Pic8259Pair>(IrqLine([this](bool l) { lapic_->lint0(l); }));
  ports_.map(0x20, 2, pic_.get(), "pic-master");
  ports_.map(0xa0, 2, pic_.get(), "pic-slave");
  ports_.map(0x4d0, 2, pic_.get(), "elcr");
  register_device(Pic8259Pair::kName, *pic_);

  Clock::TimerId lapic_timer = clock_.add_timer("lapic-timer", [this] { lapic_->timer_expired(); });
  lapic_ = std::make_unique<Lapic>(Lapic::Wiring{
      .apic_id = 0,
      .clock = &clock_,
      .timer = lapic_timer,
      .intr = IrqLine([this](bool l) { cpu_->set_interrupt_line(l); }),
      .pic_acknowledge = [this] { return pic_->acknowledge(); },
      .eoi_broadcast = [this](uint8_t vector) { ioapic_->eoi(vector); },
      .nmi = nullptr,
      .tsc_offset = [this] { return cpu_->state.tsc_adjust; },
  });
  register_device(Lapic::kName, *lapic_);
  map_lapic();

  ioapic_ = std::make_unique<Ioapic>(
      [this](uint8_t vector, bool level) { lapic_->accept(vector, level); },
      [this](uint8_t dest, bool logical) { return lapic_->accepts_destination(dest, logical); });
  mmio_.map(Ioapic::kDefaultBase, Ioapic::kMmioSize, ioapic_.get(), "ioapic");
  register_device(Ioapic::kName, *ioapic_);

  Hpet::Wiring hw;
  hw.clock = &clock_;
  for (unsigned t = 0; t < Hpet::kTimers; t++)
    hw.timers[t] = clock_.add_timer("hpet-timer" + std::to_string(t),
                                    [this, t] { hpet_->timer_expired(t); });
  hw.set_ioapic_pin = [this](unsigned pin, bool level) { ioapic_->set_irq(pin, level); };
  hw.irq0 = IrqLine([this](bool l) {
    if (hpet_->legacy_replacement()) set_isa_irq(0, l);
  });
  hw.irq8 = IrqLine([this](bool l) {
    if (hpet_->legacy_replacement()) set_isa_irq(8, l);
  });
  hw.legacy_changed = [](bool) {};
  hpet_ = std::make_unique<Hpet>(std::move(hw));
  mmio_.map(Hpet::kDefaultBase, Hpet::kMmioSize, hpet_.get(), "hpet");
  register_device(Hpet::kName, *hpet_);

  Clock::TimerId pit_timer = clock_.add_timer("pit", [this] { pit_->on_timer(); });
  pit_ = std::make_unique<Pit8254>(clock_, pit_timer, IrqLine([this](bool l) {
                                     if (!hpet_->legacy_replacement()) set_isa_irq(0, l);
                                   }));
  ports_.map(0x40, 4, pit_.get(), "pit");
  register_device(Pit8254::kName, *pit_);

  // The RTC's time of day starts from the host's wall clock, read once through the input port
  // (journaled, so a replay starts from the recorded date).
  const int64_t boot_time = int64_t(input_.wall_clock(cpu_->position()));
  Clock::TimerId rtc_timer = clock_.add_timer("rtc", [this] { rtc_->on_timer(); });
  rtc_ = std::make_unique<RtcCmos>(clock_, rtc_timer, IrqLine([this](bool l) {
                                     if (!hpet_->legacy_replacement()) set_isa_irq(8, l);
                                   }),
                                   boot_time, layout_.low_ram_end, layout_.high_ram_size, 1);
  ports_.map(0x70, 2, rtc_.get(), "rtc");
  register_device(RtcCmos::kName, *rtc_);

  auto request_reset = [this] { reset_machine("the guest requested a reset"); };
  i8042_ = std::make_unique<I8042>(IrqLine([this](bool l) { set_isa_irq(1, l); }),
                                   IrqLine([this](bool l) { set_isa_irq(12, l); }), request_reset,
                                   [](bool) {});
  ports_.map(0x60, 1, i8042_.get(), "i8042-data");
  ports_.map(0x64, 1, i8042_.get(), "i8042-command");
  register_device(I8042::kName, *i8042_);

  system_ports_ = std::make_unique<SystemPorts>(
      clock_, [this](bool gate) { pit_->set_gate2(gate); }, [this] { return pit_->out2(); },
      request_reset, [](bool) {});
  ports_.map(0x61, 1, system_ports_.get(), "port61");
  ports_.map(0x80, 1, system_ports_.get(), "post");
  ports_.map(0x92, 1, system_ports_.get(), "port92");
  register_device(SystemPorts::kName, *system_ports_);
}

void Machine::build_chipset() {
  // PCI: the Q35 host bridge at 00:00.0 and the ICH9 LPC bridge at 00:1f.0. CONFIG_ADDRESS and
  // CONFIG_DATA are mapped around 0xCF9 so that byte accesses there reach the reset register.
  pci_ = std::make_unique<PciBus>([this](unsigned pirq, bool level) { lpc_->set_pirq(pirq, level); });
  ports_.map(0xcf8, 1, pci_.get(), "pci-config-address");
  ports_.map(0xcfa, 2, pci_.get(), "pci-config-address");
  ports_.map(0xcfc, 4, pci_.get(), "pci-config-data");
  register_device(PciBus::kName, *pci_);
  mch_ = std::make_unique<Q35Host>(layout_.low_ram_end, [this](const Q35Host::EcamWindow& w) {
    if (ecam_mapped_size_) mmio_.unmap(pci_.get());
    ecam_mapped_size_ = w.enabled ? w.size : 0;
    if (w.enabled) mmio_.map(w.base, w.size, pci_.get(), "pci-ecam");
  });
  pci_->attach(Q35Host::kSlot, 0, mch_.get());
  register_device(Q35Host::kName, *mch_);
  lpc_ = std::make_unique<Ich9Lpc>(Ich9Lpc::Wiring{
      .set_ioapic_pin = [this](unsigned pin, bool level) { ioapic_->set_irq(pin, level); },
      .set_isa_irq = [this](unsigned irq, bool level) { pic_->set_irq(irq, level); },
      .pm_io_changed =
          [this](bool enabled, uint16_t base) {
            if (pm_mapped_at_) ports_.unmap(acpi_pm_.get());
            pm_mapped_at_ = enabled ? base : 0;
            if (enabled) ports_.map(base, AcpiPm::kIoSize, acpi_pm_.get(), "acpi-pm");
          },
  });
  pci_->attach(Ich9Lpc::kSlot, 0, lpc_.get());
  register_device(Ich9Lpc::kName, *lpc_);
  Clock::TimerId pm_timer = clock_.add_timer("acpi-pm-timer", [this] { acpi_pm_->timer_expired(); });
  acpi_pm_ = std::make_unique<AcpiPm>(AcpiPm::Wiring{
      .clock = &clock_,
      .timer = pm_timer,
      .sci = IrqLine([this](bool l) { lpc_->set_sci(l); }),
      .power_off = [this] { end_run(Outcome::Kind::kPowerOff, 0, "the guest powered off (ACPI S5)"); },
  });
  register_device(AcpiPm::kName, *acpi_pm_);
  reset_control_ = std::make_unique<ResetControl>(
      [this] { reset_machine("the guest reset the machine through port 0xcf9"); });
  ports_.map(0xcf9, 1, reset_control_.get(), "reset-control");
  register_device(ResetControl::kName, *reset_control_);

  fw_cfg_ = std::make_unique<FwCfg>(
      FwCfg::Config{.ram_size = ram_size_, .cpus = 1, .max_cpus = 1},
      [this](uint64_t addr, void* buf, size_t len, bool write) {
        return write ? write_phys(addr, buf, len) : read_phys(addr, buf, len);
      });
  ports_.map(FwCfg::kSelectorPort, FwCfg::kPortCount, fw_cfg_.get(), "fw_cfg");
  register_device(FwCfg::kName, *fw_cfg_);
}

bool Machine::install_firmware_tables(std::string* error) {
  // Layout below 4 GiB (as QEMU + SeaBIOS present it to Linux): the ACPI and SMBIOS tables
  // in the last 128 KiB of low RAM, the RSDP and SMBIOS entry point in the BIOS area.
  constexpr uint64_t kTablesSize = 128 << 10;
  constexpr uint64_t kRsdpAddress = 0xf0000, kSmbiosEntry = 0xf0040;
  const uint64_t tables = (layout_.low_ram_end - kTablesSize) & ~0xfffull;

  AcpiConfig acpi;
  acpi.tables_address = tables;
  acpi.hpet_capabilities_low = uint32_t(hpet_->mmio_read(0, 4));
  acpi.ecam_base = Q35Host::kEcamDefaultBase;
  acpi.pm_base = AcpiPm::kDefaultBase;
  acpi.sci_irq = AcpiPm::kSciIrq;
  acpi.slp_typ_s5 = AcpiPm::kSlpTypS5;
  acpi.pm_timer_32bit = AcpiPm::kTimerValExt;
  acpi.reset_value = ResetControl::kResetValue;
  acpi.pirq_for = [](unsigned slot, unsigned pin) { return pirq_for(slot, pin); };
  acpi.pci_mmio32_start = std::max<uint64_t>(layout_.low_ram_end, 0xc0000000);
  acpi.pci_mmio32_end = 0xfebfffff;
  AcpiTables t = build_acpi_tables(acpi);

  SmbiosConfig smbios;
  for (const std::string& option : config_.smbios)
    if (!parse_smbios_option(option, &smbios, error)) return false;
  auto leaf1 = config_.cpu.cpuid(1, 0);
  smbios.cpuid_signature = leaf1[0];
  smbios.cpuid_features = leaf1[3];
  smbios.ram_size = ram_size_;
  smbios.memory_ranges = {{0, layout_.low_ram_end}};
  if (layout_.high_ram_size) smbios.memory_ranges.push_back({1ull << 32, layout_.high_ram_size});
  const uint64_t smbios_table = (tables + t.blob.size() + 15) & ~15ull;
  SmbiosTables st = build_smbios_tables(smbios, uint32_t(smbios_table));
  if (smbios_table + st.table.size() > layout_.low_ram_end) {
    *error = "internal: firmware tables do not fit";
    return false;
  }
  if (!write_phys(tables, t.blob.data(), t.blob.size()) ||
      !write_phys(kRsdpAddress, t.rsdp.data(), t.rsdp.size()) ||
      !write_phys(smbios_table, st.table.data(), st.table.size()) ||
      !write_phys(kSmbiosEntry, st.entry_point.data(), st.entry_point.size())) {
    *error = "internal: firmware tables outside RAM";
    return false;
  }
  rsdp_address_ = kRsdpAddress;

  // The memory map (e820) that firmware would report.
  e820_.clear();
  e820_.push_back({0, 0x9fc00, e820::kRam});
  e820_.push_back({0x9fc00, 0x400, e820::kReserved});
  e820_.push_back({0xf0000, 0x10000, e820::kReserved});
  e820_.push_back({0x100000, tables - 0x100000, e820::kRam});
  e820_.push_back({tables, layout_.low_ram_end - tables, e820::kAcpi});
  e820_.push_back({Q35Host::kEcamDefaultBase, Q35Host::kEcamDefaultSize, e820::kReserved});
  e820_.push_back({0xfed1c000, 0x4000, e820::kReserved});  // ICH9 RCBA
  e820_.push_back({0xfffc0000, 0x40000, e820::kReserved});
  if (layout_.high_ram_size) e820_.push_back({1ull << 32, layout_.high_ram_size, e820::kRam});
  std::vector<uint8_t> e820_file;
  for (const E820Entry& e : e820_) {
    uint8_t entry[20];
    std::memcpy(entry, &e.addr, 8);
    std::memcpy(entry + 8, &e.size, 8);
    std::memcpy(entry + 16, &e.type, 4);
    e820_file.insert(e820_file.end(), entry, entry + 20);
  }
  fw_cfg_->add_file("etc/e820", e820_file);
  return true;
}

void Machine::map_lapic() {
  // IA32_APIC_BASE moves or disables the xAPIC window.
  if (lapic_mapped_at_) mmio_.unmap(lapic_.get());
  lapic_mapped_at_ = 0;
  if (lapic_->hardware_enabled()) {
    lapic_mapped_at_ = lapic_->mmio_base();
    mmio_.map(lapic_mapped_at_, Lapic::kMmioSize, lapic_.get(), "lapic");
  }
}

bool Machine::read_device_msr(uint32_t index, uint64_t* value) {
  return lapic_->read_msr(index, value);
}

bool Machine::write_device_msr(uint32_t index, uint64_t value) {
  if (index == 0x1b) {
    lapic_->set_base_msr(value);
    map_lapic();
    return false;  // the CPU keeps IA32_APIC_BASE in its own state too
  }
  return lapic_->write_msr(index, value);
}

void Machine::reset_machine(const std::string& why) {
  // A reset ends the current instruction, then the run loop reboots: devices return to their
  // power-on state and the kernel is loaded again, as QEMU's direct kernel boot does.
  if (config_.no_reboot) {
    end_run(Outcome::Kind::kTripleFault, 0, why + " (and -no-reboot is set)");
    return;
  }
  REWIND_LOG(kInfo, "machine", "%s: resetting", why.c_str());
  reset_pending_ = true;
  cpu_->request_stop();
}

bool Machine::boot(std::string* error) {
  if (config_.kernel.empty()) {
    *error = "no kernel given (-kernel FILE)";
    return false;
  }
  if (kernel_image_.empty()) {
    if (!read_file(config_, config_.kernel, &kernel_image_, error)) return false;
    if (!config_.initrd.empty() && !is_bzimage(kernel_image_)) {
      // QEMU's multiboot -initrd: comma-separated modules, each "file [args]".
      size_t start = 0;
      while (start <= config_.initrd.size()) {
        size_t end = config_.initrd.find(',', start);
        if (end == std::string::npos) end = config_.initrd.size();
        std::string item = config_.initrd.substr(start, end - start);
        start = end + 1;
        if (item.empty()) continue;
        BootModule m;
        m.cmdline = item;
        if (!read_file(config_, item.substr(0, item.find(' ')), &m.data, error)) return false;
        modules_.push_back(std::move(m));
      }
    }
  }
  const bool linux_kernel = is_bzimage(kernel_image_);
  if (!linux_kernel && !is_multiboot(kernel_image_)) {
    *error = "'" + config_.kernel + "' is neither a Linux bzImage nor a multiboot kernel";
    return false;
  }
  cpu_->reset();
  // What firmware would have done before handing over to the kernel: decode the ECAM window
  // and the ACPI PM block (SeaBIOS programs PCIEXBAR and PMBASE), and build the tables.
  mch_->enable_ecam(Q35Host::kEcamDefaultBase);
  lpc_->enable_pm_io(AcpiPm::kDefaultBase);
  if (!install_firmware_tables(error)) return false;
  CpuState s = cpu_->state;
  if (linux_kernel) {
    if (!config_.initrd.empty() && initrd_image_.empty() &&
        !read_file(config_, config_.initrd, &initrd_image_, error))
      return false;
    LinuxBootLayout boot_layout{layout_, e820_, rsdp_address_};
    PhysWriter writer = [this](uint64_t addr, const void* data, size_t len) {
      return write_phys(addr, data, len);
    };
    if (!load_linux(kernel_image_, initrd_image_, config_.append, boot_layout, writer, &s,
                    error)) {
      *error = "'" + config_.kernel + "': " + *error;
      return false;
    }
  } else {
    std::string cmdline = config_.kernel + (config_.append.empty() ? "" : " " + config_.append);
    PhysWriter writer = [this](uint64_t addr, const void* data, size_t len) {
      return write_phys(addr, data, len);
    };
    if (!load_multiboot(kernel_image_, cmdline, modules_, layout_, writer, &s, error)) {
      *error = "'" + config_.kernel + "': " + *error;
      return false;
    }
  }
  cpu_->load_state(s);
  return true;
}

bool Machine::write_phys(uint64_t addr, const void* data, size_t len) {
  const uint8_t* src = static_cast<const uint8_t*>(data);
  for (size_t done = 0; done < len;) {
    uint8_t* dst = cpu_->ram_pointer(addr + done);
    if (!dst) return false;
    size_t chunk = std::min<size_t>(len - done, 4096 - ((addr + done) & 0xfff));
    std::memcpy(dst, src + done, chunk);
    dirty_log_->mark_range(dst, chunk);
    cpu_->invalidate_code(addr + done, chunk);
    done += chunk;
  }
  return true;
}

bool Machine::read_phys(uint64_t addr, void* data, size_t len) const {
  uint8_t* out = static_cast<uint8_t*>(data);
  for (size_t done = 0; done < len;) {
    const uint8_t* src = cpu_->ram_pointer(addr + done);
    if (!src) return false;
    size_t chunk = std::min<size_t>(len - done, 4096 - ((addr + done) & 0xfff));
    std::memcpy(out + done, src, chunk);
    done += chunk;
  }
  return true;
}

template <typename D>
void Machine::register_device(std::string name, D& device) {
  using State = typename D::State;
  // Snapshots and hashes take a State's bytes as they are: no hidden padding allowed.
  static_assert(std::has_unique_object_representations_v<State>,
                "device State must be plain data without padding");
  devices_.push_back(DeviceEntry{std::move(name), sizeof(State),
                                 [&device](ByteWriter& w) { w.pod(device.save()); },
                                 [&device](const uint8_t* bytes) {
                                   State s;
                                   std::memcpy(&s, bytes, sizeof s);
                                   device.restore(s);
                                 }});
}

std::string Machine::layout_fingerprint() const {
  std::string out = "cpu:" + std::to_string(sizeof(CpuState));
  for (const DeviceEntry& d : devices_) out += "," + d.name + ":" + std::to_string(d.state_size);
  out += ";timers:" + std::to_string(clock_.save().size());
  return out;
}

uint64_t Machine::ram_page_address(uint64_t page) const {
  uint64_t offset = page * 4096;
  return offset < layout_.low_ram_end ? offset : (1ull << 32) + (offset - layout_.low_ram_end);
}

void Machine::update_page_hashes() {
  // Only checkpoints consume the dirty log (their incremental page lists depend on it); a hash
  // rehashes every page written since the last checkpoint, which that interval bounds.
  for (uint64_t page : dirty_log_->peek(ram_pages()))
    page_hashes_[page] = hash64(ram_ + page * 4096, 4096);
}

namespace {
constexpr uint32_t kSnapshotMagic = 0x50414e53;  // "SNAP"
const uint8_t kZeroPage[4096] = {};

bool is_zero_page(const uint8_t* p) {
  uint64_t acc = 0;
  for (size_t i = 0; i < 4096; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc |= v;
  }
  return acc == 0;
}
}  // namespace

std::vector<uint8_t> Machine::checkpoint(bool full) {
  std::vector<uint64_t> pages = dirty_log_->take(ram_pages());
  cpu_->restart_dirty_tracking();
  for (uint64_t page : pages) page_hashes_[page] = hash64(ram_ + page * 4096, 4096);
  ByteWriter w;
  w.u32(kSnapshotMagic);
  w.u64(cpu_->position());
  w.string("cpu");
  w.pod(cpu_->state);
  w.string("clock");
  std::vector<uint64_t> timers = clock_.save();
  w.varint(timers.size());
  for (uint64_t t : timers) w.u64(t);
  for (const DeviceEntry& d : devices_) {
    w.string(d.name);
    d.save(w);
  }
  w.string("ram");
  w.u64(ram_pages());
  if (full) {
    pages.clear();
    for (uint64_t p = 0; p < ram_pages(); p++)
      if (!is_zero_page(ram_ + p * 4096)) pages.push_back(p);
  }
  w.varint(pages.size());
  uint64_t previous = 0;
  for (uint64_t page : pages) {
    w.varint(page - previous);
    previous = page;
    w.raw(ram_ + page * 4096, 4096);
  }
  return std::move(w.data());
}

bool Machine::restore_checkpoint(const std::vector<uint8_t>& data, bool full, std::string* error) {
  ByteReader r(data);
  uint32_t magic;
  uint64_t position;
  std::string name;
  CpuState cpu;
  auto section = [&](const char* expected) {
    if (!r.string(&name) || name != expected) {
      *error = std::string("snapshot: expected section '") + expected + "', found '" + name +
               "'" + (r.error().empty() ? "" : " (" + r.error() + ")");
      return false;
    }
    return true;
  };
  if (!r.u32(&magic) || magic != kSnapshotMagic || !r.u64(&position)) {
    *error = "snapshot: bad header";
    return false;
  }
  if (!section("cpu")) return false;
  if (!r.pod(&cpu)) {
    *error = "snapshot section 'cpu': " + r.error();
    return false;
  }
  if (!section("clock")) return false;
  uint64_t ntimers;
  std::vector<uint64_t> timers;
  if (!r.varint(&ntimers) || ntimers != clock_.save().size()) {
    *error = "snapshot section 'clock': wrong number of timers for this machine";
    return false;
  }
  for (uint64_t i = 0; i < ntimers; i++) {
    uint64_t t;
    if (!r.u64(&t)) {
      *error = "snapshot section 'clock': " + r.error();
      return false;
    }
    timers.push_back(t);
  }
  // Parse everything before changing anything: a bad snapshot leaves the machine as it was.
  std::vector<std::vector<uint8_t>> device_bytes;
  for (const DeviceEntry& d : devices_) {
    if (!section(d.name.c_str())) return false;
    std::vector<uint8_t> b;
    if (!r.bytes(&b, 1 << 20) || b.size() != d.state_size) {
      *error = "snapshot section '" + d.name + "': " +
               (r.error().empty() ? "state size differs from this build's" : r.error());
      return false;
    }
    device_bytes.push_back(std::move(b));
  }
  if (!section("ram")) return false;
  uint64_t total, count;
  if (!r.u64(&total) || total != ram_pages() || !r.varint(&count) || count > total) {
    *error = "snapshot section 'ram': RAM size differs from this machine's";
    return false;
  }
  // Pages point into `data`: no copy while parsing.
  std::vector<std::pair<uint64_t, const uint8_t*>> pages;
  pages.reserve(count);
  uint64_t page = 0;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t delta;
    const uint8_t* bytes = nullptr;
    if (!r.varint(&delta) || (i > 0 && delta == 0) || page + delta >= total ||
        !(bytes = r.take(4096))) {
      *error = "snapshot section 'ram': malformed page list";
      return false;
    }
    page += delta;
    pages.push_back({page, bytes});
  }
  if (!r.at_end()) {
    *error = "snapshot: trailing bytes";
    return false;
  }
  // Commit. Only pages whose contents differ are written: going back in time touches what
  // changed since then, not all of guest RAM (this is what keeps reverse-stepi fast).
  if (full) {
    update_page_hashes();  // page_hashes_ now describe RAM as it is
    const uint64_t zero_hash = hash64(kZeroPage, 4096);
    size_t next = 0;
    for (uint64_t n = 0; n < total; n++) {
      uint8_t* ram = ram_ + n * 4096;
      if (next < pages.size() && pages[next].first == n) {
        const uint8_t* want = pages[next++].second;
        if (std::memcmp(ram, want, 4096) != 0) {
          std::memcpy(ram, want, 4096);
          page_hashes_[n] = hash64(want, 4096);
        }
      } else if (page_hashes_[n] != zero_hash) {
        std::memset(ram, 0, 4096);
        page_hashes_[n] = zero_hash;
      }
    }
  } else {
    for (auto& [n, bytes] : pages) {
      std::memcpy(ram_ + n * 4096, bytes, 4096);
      page_hashes_[n] = hash64(bytes, 4096);
    }
  }
  // Devices derive IRQ levels and timer deadlines from "now": set the position first. The
  // stored timer deadlines are authoritative and restored after the devices.
  cpu_->set_position(position);
  for (size_t i = 0; i < devices_.size(); i++) devices_[i].restore(device_bytes[i].data());
  clock_.restore(timers);
  cpu_->load_state(cpu);
  map_lapic();
  // The CPU's INTR input is the LAPIC's output, which the restored LAPIC knows.
  cpu_->set_interrupt_line(lapic_->intr_asserted());
  // Page hashes now match RAM; start tracking writes afresh.
  dirty_log_->take(ram_pages());
  cpu_->restart_dirty_tracking();
  outcome_.reset();
  return true;
}

StateHash Machine::state_hash() {
  update_page_hashes();
  StateHash h;
  h.cpu = hash64(&cpu_->state, sizeof(CpuState));
  h.ram = hash64(page_hashes_.data(), page_hashes_.size() * 8);
  Hasher total;
  total.update_pod(h.cpu);
  total.update_pod(h.ram);
  std::vector<uint64_t> timers = clock_.save();
  h.devices.push_back({"clock", hash64(timers.data(), timers.size() * 8)});
  for (const DeviceEntry& d : devices_) {
    ByteWriter w;
    d.save(w);
    h.devices.push_back({d.name, hash64(w.data().data(), w.data().size())});
  }
  for (auto& [name, value] : h.devices) total.update_pod(value);
  total.update_pod(cpu_->position());
  h.total = total.digest();
  return h;
}

bool Machine::split_checkpoint(const std::vector<uint8_t>& data,
                               std::vector<std::pair<std::string, std::vector<uint8_t>>>* parts,
                               std::string* error) {
  ByteReader r(data);
  uint32_t magic;
  uint64_t position;
  if (!r.u32(&magic) || magic != kSnapshotMagic || !r.u64(&position)) {
    *error = "snapshot: bad header";
    return false;
  }
  while (!r.at_end()) {
    std::string name;
    if (!r.string(&name)) break;
    if (name == "ram") break;
    std::vector<uint8_t> bytes;
    if (name == "clock") {
      uint64_t n;
      if (!r.varint(&n) || n > 4096) break;
      bytes.resize(n * 8);
      if (!r.raw(bytes.data(), bytes.size())) break;
    } else if (!r.bytes(&bytes, 1 << 20)) {
      break;
    }
    parts->push_back({name, std::move(bytes)});
  }
  if (!r.error().empty()) {
    *error = "snapshot: " + r.error();
    return false;
  }
  return true;
}

void Machine::flush_serial() {
  if (serial_out_ && !serial_buffer_.empty()) {
    std::fwrite(serial_buffer_.data(), 1, serial_buffer_.size(), serial_out_);
    std::fflush(serial_out_);
  }
  serial_buffer_.clear();
}

void Machine::end_run(Outcome::Kind kind, int status, std::string message) {
  if (outcome_) return;  // the first reason wins
  outcome_ = Outcome{kind, status, std::move(message)};
  cpu_->request_stop();
}

void Machine::triple_fault(const std::string& why) {
  const CpuState& s = cpu_->state;
  char where[96];
  std::snprintf(where, sizeof where, " at position %llu (rip %#llx)",
                (unsigned long long)cpu_->position(), (unsigned long long)s.rip);
  if (config_.no_reboot) {
    end_run(Outcome::Kind::kTripleFault, 0, "guest triple fault: " + why + where);
    return;
  }
  REWIND_LOG(kWarn, "machine", "guest triple fault (%s)%s: resetting", why.c_str(), where);
  reset_pending_ = true;
  cpu_->request_stop();
}

void Machine::deliver_serial_input() {
  if (uart_->rx_full()) return;
  std::vector<uint8_t> bytes = input_.serial_input(cpu_->position(), 1);
  for (uint8_t b : bytes) uart_->receive(b);
}

Outcome Machine::run(uint64_t limit) {
  while (!outcome_) {
    if (cpu_->position() >= limit) {
      flush_serial();
      return Outcome{Outcome::Kind::kRunning, 0, "position limit reached"};
    }
    const uint64_t deadline = std::min({clock_.next_deadline(), input_.next_event_position(),
                                        cpu_->position() + kInputSlice, limit});
    StopReason reason = cpu_->run_until(deadline);
    if (outcome_) break;
    if (reason == StopReason::kDebug) {
      // Not an end of the run: the debugger looks, then resumes with run() again.
      flush_serial();
      return Outcome{Outcome::Kind::kDebug, 0, "debug stop"};
    }
    if (reset_pending_) {
      reset_pending_ = false;
      resets_++;
      ByteReader r(power_on_devices_);
      for (const DeviceEntry& d : devices_) {
        std::vector<uint8_t> bytes;
        r.bytes(&bytes);
        d.restore(bytes.data());
      }
      map_lapic();
      cpu_->set_interrupt_line(false);
      std::string error;
      if (!boot(&error)) end_run(Outcome::Kind::kTripleFault, 1, "reset failed: " + error);
      continue;
    }
    clock_.run_due(cpu_->position());
    deliver_serial_input();
    if (reason == StopReason::kHalted) {
      const CpuState& s = cpu_->state;
      if (!(s.rflags & flags::kIf) && !cpu_->interrupt_line()) {
        char msg[128];
        std::snprintf(msg, sizeof msg,
                      "guest halted with interrupts disabled at position %llu (rip %#llx)",
                      (unsigned long long)cpu_->position(), (unsigned long long)s.rip);
        end_run(Outcome::Kind::kHaltedForever, 0, msg);
        break;
      }
      // Skip halted time straight to the next event (DESIGN §2.2).
      uint64_t next = std::min(clock_.next_deadline(), input_.next_event_position());
      if (next == kNever) {
        if (!input_.serial_open()) {
          end_run(Outcome::Kind::kHaltedForever, 0,
                  "guest halted with no timer armed and no input to wake it");
          break;
        }
        input_.wait_for_serial(100);
        next = cpu_->position() + kInputSlice;
      }
      cpu_->set_position(std::max(cpu_->position(), std::min(next, limit)));
      cpu_->state.halted = 1;
    }
  }
  flush_serial();
  return *outcome_;
}

}  // namespace rwd
