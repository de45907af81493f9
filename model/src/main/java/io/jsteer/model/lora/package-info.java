/**
 * LoRA adapters on the block projections (q, k, v, o, gate, up, down):
 * {@link io.jsteer.model.lora.LoraAdapter} (trainable A/B, PEFT initialisation), applied on the
 * inference path by {@code CpuEngine.setAdapter} and on the trainable path by
 * {@code ForwardOptions.withAdapter}; {@link io.jsteer.model.lora.LoraFiles} saves and loads them
 * as PEFT directories (adapter_model.safetensors + adapter_config.json).
 */
package io.jsteer.model.lora;
