import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, HealthIndicatorService, PrismaHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { PrismaService } from '../database/prisma.service';
import { RedisConnection } from '../throttling/redis-connection';
import { Unthrottled } from '../throttling/throttle.decorators';

@ApiTags('health')
@Public()
// Probes come often and from the platform itself; a throttled probe would take a healthy instance out.
@Unthrottled()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly prismaIndicator: PrismaHealthIndicator,
    private readonly prisma: PrismaService,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnection,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer.' })
  ready() {
    const checks: HealthIndicatorFunction[] = [() => this.prismaIndicator.pingCheck('database', this.prisma, { timeout: 2000 })];
    if (this.redis.configured) {
      // Rate limits fall back to per-instance counters without Redis; the API
      // still serves, but it is not in the state it was deployed to be in.
      checks.push(() => this.indicators.check('redis').attempt(() => this.redis.ping()).withTimeout(500));
    }
    return this.health.check(checks);
  }
}
